using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// Builds one netlink request: nlmsghdr, a fixed family header (ifinfomsg, ifaddrmsg, rtmsg)
/// and type-length-value attributes, possibly nested. Lengths are patched in as parts close;
/// the sequence number is stamped by <see cref="NetlinkSocket"/> when it sends.
/// </summary>
internal sealed class NetlinkMessageWriter
{
    private const ushort NLA_F_NESTED = 0x8000;
    private byte[] _buffer = new byte[256];
    private int _length;

    public ushort Type { get; }
    public ushort Flags { get; }

    public NetlinkMessageWriter(ushort type, ushort flags)
    {
        Type = type;
        Flags = (ushort)(flags | NetlinkHeader.NLM_F_REQUEST);
        _length = NetlinkHeader.Size;
    }

    /// <summary>Appends a fixed-size struct (the family header, or the ifinfomsg inside VETH_INFO_PEER).</summary>
    public NetlinkMessageWriter Write<T>(in T value) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value));
        Append(bytes);
        Pad();
        return this;
    }

    public NetlinkMessageWriter Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        var start = BeginAttribute(type);
        Append(value);
        EndAttribute(start);
        return this;
    }

    public NetlinkMessageWriter Attribute(ushort type, string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1]; // NUL-terminated
        Encoding.UTF8.GetBytes(value, bytes);
        return Attribute(type, bytes);
    }

    public NetlinkMessageWriter Attribute(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Attribute(type, b);
    }

    public NetlinkMessageWriter Attribute(ushort type, byte value) => Attribute(type, [value]);

    /// <summary>An address in network byte order (4 or 16 bytes).</summary>
    public NetlinkMessageWriter Attribute(ushort type, IPAddress value) => Attribute(type, value.GetAddressBytes());

    /// <summary>Opens a nested attribute; close it with <see cref="EndNested"/> using the returned offset.</summary>
    public int BeginNested(ushort type) => BeginAttribute((ushort)(type | NLA_F_NESTED));

    public NetlinkMessageWriter EndNested(int start)
    {
        EndAttribute(start);
        return this;
    }

    /// <summary>The finished message with its length set (sequence 0 until sent).</summary>
    public byte[] ToArray()
    {
        var span = _buffer.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)_length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], Flags);
        return _buffer.AsSpan(0, _length).ToArray();
    }

    private int BeginAttribute(ushort type)
    {
        var start = _length;
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], type);
        Append(header);
        return start;
    }

    private void EndAttribute(int start)
    {
        // rta_len counts header + payload without the trailing padding.
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), checked((ushort)(_length - start)));
        Pad();
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        Reserve(data.Length);
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    private void Pad()
    {
        var aligned = NetlinkHeader.Align(_length);
        Reserve(aligned - _length);
        _buffer.AsSpan(_length, aligned - _length).Clear();
        _length = aligned;
    }

    private void Reserve(int extra)
    {
        if (_length + extra <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
    }
}

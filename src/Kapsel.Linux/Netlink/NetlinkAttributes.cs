using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// The attributes of one message (or of one nested attribute), by type. When a type repeats,
/// the last one wins, which is what the kernel does for the attributes we read.
/// </summary>
internal sealed class NetlinkAttributes
{
    private const ushort TypeMask = 0x3fff; // strips NLA_F_NESTED and NLA_F_NET_BYTEORDER
    private readonly Dictionary<ushort, ReadOnlyMemory<byte>> _values = [];

    public static NetlinkAttributes Parse(ReadOnlyMemory<byte> data)
    {
        var result = new NetlinkAttributes();
        var offset = 0;
        while (data.Length - offset >= 4)
        {
            var span = data.Span[offset..];
            var length = BinaryPrimitives.ReadUInt16LittleEndian(span);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span[2..]) & TypeMask);
            if (length < 4 || length > span.Length) break; // truncated tail: ignore like the kernel's nla_ok
            result._values[type] = data.Slice(offset + 4, length - 4);
            offset += NetlinkHeader.Align(length);
        }
        return result;
    }

    public bool Has(ushort type) => _values.ContainsKey(type);

    public bool TryGet(ushort type, out ReadOnlyMemory<byte> value) => _values.TryGetValue(type, out value);

    public string? String(ushort type) =>
        TryGet(type, out var v) ? Encoding.UTF8.GetString(v.Span.TrimEnd((byte)0)) : null;

    public uint? UInt32(ushort type) =>
        TryGet(type, out var v) && v.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(v.Span) : null;

    public byte? UInt8(ushort type) => TryGet(type, out var v) && v.Length >= 1 ? v.Span[0] : null;

    public IPAddress? Address(ushort type) =>
        TryGet(type, out var v) && v.Length is 4 or 16 ? new IPAddress(v.Span) : null;

    public NetlinkAttributes? Nested(ushort type) => TryGet(type, out var v) ? Parse(v) : null;
}

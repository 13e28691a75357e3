using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kapsel.Linux.Netlink;

/// <summary>One received netlink message: its header fields and the payload after nlmsghdr.</summary>
internal readonly record struct NetlinkMessage(ushort Type, ushort Flags, uint Sequence, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Splits one datagram into its messages (a dump packs many into one).</summary>
    public static List<NetlinkMessage> Split(ReadOnlyMemory<byte> datagram)
    {
        var messages = new List<NetlinkMessage>();
        var offset = 0;
        while (datagram.Length - offset >= NetlinkHeader.Size)
        {
            var span = datagram.Span[offset..];
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
            if (length < NetlinkHeader.Size || length > span.Length)
                throw new InvalidDataException($"malformed netlink message: length {length} in a {span.Length}-byte remainder");
            messages.Add(new NetlinkMessage(
                BinaryPrimitives.ReadUInt16LittleEndian(span[4..]),
                BinaryPrimitives.ReadUInt16LittleEndian(span[6..]),
                BinaryPrimitives.ReadUInt32LittleEndian(span[8..]),
                datagram.Slice(offset + NetlinkHeader.Size, length - NetlinkHeader.Size)));
            offset += NetlinkHeader.Align(length);
        }
        return messages;
    }

    /// <summary>Reads the fixed family header at the start of the payload.</summary>
    public T Header<T>() where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        if (Payload.Length < size) throw new InvalidDataException($"netlink message type {Type} shorter than its {typeof(T).Name}");
        return MemoryMarshal.Read<T>(Payload.Span);
    }

    /// <summary>The attributes following a fixed header of type T.</summary>
    public NetlinkAttributes Attributes<T>() where T : unmanaged =>
        NetlinkAttributes.Parse(Payload[NetlinkHeader.Align(Unsafe.SizeOf<T>())..]);
}

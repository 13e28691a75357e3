using System.Net;
using System.Net.Sockets;
using static Kapsel.Linux.Netlink.AddressMessage;
using static Kapsel.Linux.Netlink.NetlinkHeader;
using static Kapsel.Linux.Netlink.RtnlMessageType;

namespace Kapsel.Linux.Netlink;

/// <summary>IPv4 and IPv6 interface addresses.</summary>
public sealed partial class RtNetlink
{
    private const byte AF_INET = 2, AF_INET6 = 10;

    /// <summary>
    /// Adds an address (EEXIST if the link already has it). IPv4 gets the subnet's broadcast
    /// address, as `ip addr add … brd +` would. <paramref name="skipDuplicateDetection"/> makes an
    /// IPv6 address usable at once (IFA_F_NODAD) instead of tentative for about a second.
    /// </summary>
    public void AddAddress(LinkSelector link, InterfaceAddress address, bool skipDuplicateDetection = false)
    {
        var request = AddressRequest(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, link, address);
        if (address.Address.AddressFamily == AddressFamily.InterNetwork && address.PrefixLength <= 30)
            request.Attribute(IFA_BROADCAST, Broadcast(address));
        if (skipDuplicateDetection) request.Attribute(IFA_FLAGS, IFA_F_NODAD);
        Request(request, $"add address {address} to {link}");
    }

    public void DeleteAddress(LinkSelector link, InterfaceAddress address) =>
        Request(AddressRequest(RTM_DELADDR, 0, link, address), $"delete address {address} from {link}");

    /// <summary>Addresses of one link, or of all links; optionally only one family.</summary>
    public IReadOnlyList<AddressInfo> ListAddresses(LinkSelector? link = null, AddressFamily family = AddressFamily.Unspecified)
    {
        var index = link is { } l ? ResolveIndex(l) : 0;
        var request = new NetlinkMessageWriter(RTM_GETADDR, NLM_F_DUMP)
            .Write(new AddressMessage { Family = FamilyByte(family) });
        return Dump(request, "list addresses")
            .Where(m => m.Type == RTM_NEWADDR)
            .Select(ParseAddress)
            .Where(a => index == 0 || a.InterfaceIndex == index)
            .ToList();
    }

    private NetlinkMessageWriter AddressRequest(ushort type, ushort flags, LinkSelector link, InterfaceAddress address)
    {
        address.Validate();
        var index = ResolveIndex(link);
        var request = new NetlinkMessageWriter(type, flags).Write(new AddressMessage
        {
            Family = FamilyByte(address.Address.AddressFamily),
            PrefixLength = (byte)address.PrefixLength,
            Index = index,
        });
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS the same unless point-to-point.
        return request.Attribute(IFA_LOCAL, address.Address).Attribute(IFA_ADDRESS, address.Address);
    }

    private static AddressInfo ParseAddress(NetlinkMessage message)
    {
        var header = message.Header<AddressMessage>();
        var attributes = message.Attributes<AddressMessage>();
        var address = attributes.Address(IFA_LOCAL) ?? attributes.Address(IFA_ADDRESS) ?? IPAddress.None;
        var flags = attributes.UInt32(IFA_FLAGS) ?? header.Flags; // IFA_FLAGS holds the full 32 bits
        return new AddressInfo(header.Index, new InterfaceAddress(address, header.PrefixLength),
            attributes.String(IFA_LABEL), header.Scope, flags);
    }

    private static IPAddress Broadcast(InterfaceAddress address)
    {
        var bytes = address.Address.GetAddressBytes();
        var hostBits = 32 - address.PrefixLength;
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
        value |= hostBits == 32 ? uint.MaxValue : (1u << hostBits) - 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    private static byte FamilyByte(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        AddressFamily.Unspecified => 0,
        _ => throw new ArgumentException($"address family {family} is not IPv4 or IPv6"),
    };
}

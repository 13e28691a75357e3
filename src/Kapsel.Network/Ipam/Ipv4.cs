using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Ipam;

/// <summary>IPv4 subnet arithmetic on host-order integers: parsing with clear errors, overlap, nth host.</summary>
public static class Ipv4
{
    public static uint ToUInt32(IPAddress address) =>
        BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    public static IPAddress FromUInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static uint Mask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    /// <summary>Parses "A.B.C.D/N"; host bits must be zero (10.88.0.1/24 is a mistake worth naming).</summary>
    public static IPNetwork ParseSubnet(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, null, out var prefix) || prefix > 32
            || text[..slash].Count(c => c == '.') != 3)
            throw new NetworkException($"invalid subnet \"{text}\": expected an IPv4 CIDR like 10.89.0.0/24");
        if (prefix > 30) throw new NetworkException($"subnet {text} is too small: the prefix must be /30 or shorter");
        var value = ToUInt32(address);
        if ((value & ~Mask(prefix)) != 0)
            throw new NetworkException($"invalid subnet \"{text}\": host bits are set (did you mean {FromUInt32(value & Mask(prefix))}/{prefix}?)");
        return new IPNetwork(address, prefix);
    }

    public static IPAddress ParseAddress(string text, string what) =>
        IPAddress.TryParse(text, out var a) && a.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') == 3
            ? a : throw new NetworkException($"invalid {what} \"{text}\": expected an IPv4 address");

    public static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    public static uint First(IPNetwork subnet) => ToUInt32(subnet.BaseAddress);

    public static uint Broadcast(IPNetwork subnet) => First(subnet) | ~Mask(subnet.PrefixLength);

    /// <summary>The subnet's nth address (1 = the first host, usually the gateway).</summary>
    public static IPAddress Host(IPNetwork subnet, uint n) => FromUInt32(First(subnet) + n);

    /// <summary>A usable host address: inside the subnet, neither its network nor broadcast address.</summary>
    public static bool IsHost(IPNetwork subnet, IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && subnet.Contains(address)
        && ToUInt32(address) != First(subnet) && ToUInt32(address) != Broadcast(subnet);
}

using System.Net;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Ipam;

/// <summary>Picks an instance address: the lowest host address of the subnet not taken and not the gateway.</summary>
public static class AddressPicker
{
    public static IPAddress Pick(IPNetwork subnet, IPAddress gateway, IReadOnlySet<IPAddress> taken, string networkName)
    {
        var first = Ipv4.First(subnet) + 1;
        var last = Ipv4.Broadcast(subnet) - 1;
        for (var a = first; a <= last && a >= first; a++)
        {
            var address = Ipv4.FromUInt32(a);
            if (!address.Equals(gateway) && !taken.Contains(address)) return address;
        }
        throw new NetworkException($"network \"{networkName}\" ({subnet}) has no free address left");
    }

    /// <summary>A stable, locally administered MAC derived from the IPv4 address (02:6b:a.b.c.d), like Docker's 02:42:….</summary>
    public static System.Net.NetworkInformation.PhysicalAddress MacFor(IPAddress address)
    {
        var ip = address.GetAddressBytes();
        return new System.Net.NetworkInformation.PhysicalAddress([0x02, 0x6b, ip[0], ip[1], ip[2], ip[3]]);
    }
}

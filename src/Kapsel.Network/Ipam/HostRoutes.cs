using System.Net;
using System.Net.Sockets;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Ipam;

/// <summary>
/// What the host already uses, as subnets a new network must not overlap (a bridge on
/// 192.168.1.0/24 would hijack the LAN): every IPv4 unicast route of every table and every IPv4
/// address with its prefix, whoever made them — another Kapsel root's bridges included, and
/// bridges a deleted root left behind. Default routes are skipped (they cover everything).
/// </summary>
public static class HostRoutes
{
    public static IReadOnlyList<UsedSubnet> Read(RtNetlink rtnl)
    {
        var names = rtnl.ListLinks().ToDictionary(l => l.Index, l => l.Name);
        string Dev(int? index) => index is { } i && names.TryGetValue(i, out var n) ? $" dev {n}" : "";
        var result = new List<UsedSubnet>();
        foreach (var route in rtnl.ListRoutes(AddressFamily.InterNetwork, table: null))
        {
            if (route.Destination is not { } destination || route.Type != 1 /* RTN_UNICAST */) continue;
            result.Add(new UsedSubnet(destination, $"host route {destination}{Dev(route.OutputInterfaceIndex)}"));
        }
        foreach (var address in rtnl.ListAddresses(family: AddressFamily.InterNetwork))
        {
            var a = address.Address;
            var network = new IPNetwork(Ipv4.FromUInt32(Ipv4.ToUInt32(a.Address) & Ipv4.Mask(a.PrefixLength)), a.PrefixLength);
            result.Add(new UsedSubnet(network, $"host address {a}{Dev(address.InterfaceIndex)}"));
        }
        return result;
    }
}

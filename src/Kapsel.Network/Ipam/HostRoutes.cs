using System.Net.Sockets;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Ipam;

/// <summary>
/// The host's IPv4 routes as subnets a new network must not overlap (a bridge on 192.168.1.0/24
/// would hijack the LAN). Default routes and routes through our own bridges are skipped: the
/// former cover everything, the latter are Kapsel networks the store already knows.
/// </summary>
public static class HostRoutes
{
    public static IReadOnlyList<UsedSubnet> Read(RtNetlink rtnl, Func<string, bool> isOwnBridge)
    {
        var names = rtnl.ListLinks().ToDictionary(l => l.Index, l => l.Name);
        var result = new List<UsedSubnet>();
        foreach (var route in rtnl.ListRoutes(AddressFamily.InterNetwork, table: null))
        {
            if (route.Destination is not { } destination || route.Type != 1 /* RTN_UNICAST */) continue;
            var device = route.OutputInterfaceIndex is { } i && names.TryGetValue(i, out var n) ? n : null;
            if (device is not null && isOwnBridge(device)) continue;
            var owner = $"host route {destination}{(device is null ? "" : $" dev {device}")}";
            result.Add(new UsedSubnet(destination, owner));
        }
        return result;
    }
}

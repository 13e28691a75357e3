using System.Net;
using System.Net.Sockets;
using static Kapsel.Linux.Netlink.NetlinkHeader;
using static Kapsel.Linux.Netlink.RouteMessage;
using static Kapsel.Linux.Netlink.RtnlMessageType;

namespace Kapsel.Linux.Netlink;

/// <summary>Routes: default route via a gateway, on-link subnet routes, listing.</summary>
public sealed partial class RtNetlink
{
    /// <summary>Adds a route; EEXIST if an identical one exists.</summary>
    public void AddRoute(Route route) =>
        Request(RouteRequest(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route), $"add route {route}");

    /// <summary>Adds the route or replaces the one with the same destination, table and metric.</summary>
    public void ReplaceRoute(Route route) =>
        Request(RouteRequest(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, route), $"replace route {route}");

    /// <summary>Deletes the route that matches; ESRCH if none does.</summary>
    public void DeleteRoute(Route route) =>
        Request(RouteRequest(RTM_DELROUTE, 0, route), $"delete route {route}");

    /// <summary>Routes of one table (main by default; null for all tables), optionally one family.</summary>
    public IReadOnlyList<RouteInfo> ListRoutes(AddressFamily family = AddressFamily.Unspecified, uint? table = RT_TABLE_MAIN)
    {
        var request = new NetlinkMessageWriter(RTM_GETROUTE, NLM_F_DUMP)
            .Write(new RouteMessage { Family = FamilyByte(family) });
        return Dump(request, "list routes")
            .Where(m => m.Type == RTM_NEWROUTE)
            .Select(ParseRoute)
            .Where(r => table is null || r.Table == table)
            .ToList();
    }

    private NetlinkMessageWriter RouteRequest(ushort type, ushort flags, Route route)
    {
        var family = route.Destination?.BaseAddress.AddressFamily ?? route.Gateway?.AddressFamily
            ?? throw new ArgumentException($"route {route}: a default route needs a gateway (or give a destination)");
        if (route.Gateway is { } g && g.AddressFamily != family)
            throw new ArgumentException($"route {route}: gateway and destination families differ");
        var deleting = type == RTM_DELROUTE;
        var header = new RouteMessage
        {
            Family = FamilyByte(family),
            DestinationLength = (byte)(route.Destination?.PrefixLength ?? 0),
            Table = route.Table < 256 ? (byte)route.Table : RT_TABLE_UNSPEC,
            Protocol = deleting ? RTPROT_UNSPEC : RTPROT_BOOT,
            // A delete with scope "nowhere" matches routes of any scope.
            Scope = deleting ? RT_SCOPE_NOWHERE : route.Gateway is null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
            Type = RTN_UNICAST,
            Flags = route.OnLink ? RTNH_F_ONLINK : 0,
        };
        var request = new NetlinkMessageWriter(type, flags).Write(header);
        request.Attribute(RTA_TABLE, route.Table);
        if (route.Destination is { } d && d.PrefixLength > 0) request.Attribute(RTA_DST, d.BaseAddress);
        if (route.Gateway is { } gateway) request.Attribute(RTA_GATEWAY, gateway);
        if (route.OutputInterface is { } oif) request.Attribute(RTA_OIF, (uint)ResolveIndex(oif));
        if (route.Metric is { } metric) request.Attribute(RTA_PRIORITY, metric);
        if (route.PreferredSource is { } source) request.Attribute(RTA_PREFSRC, source);
        return request;
    }

    private static RouteInfo ParseRoute(NetlinkMessage message)
    {
        var header = message.Header<RouteMessage>();
        var attributes = message.Attributes<RouteMessage>();
        IPNetwork? destination = null;
        if (header.DestinationLength > 0 && attributes.Address(RTA_DST) is { } dst)
            destination = new IPNetwork(dst, header.DestinationLength);
        var oif = attributes.UInt32(RTA_OIF);
        return new RouteInfo(
            destination,
            attributes.Address(RTA_GATEWAY),
            oif is { } o ? (int)o : null,
            attributes.UInt32(RTA_TABLE) ?? header.Table,
            header.Protocol,
            header.Scope,
            header.Type,
            attributes.UInt32(RTA_PRIORITY),
            attributes.Address(RTA_PREFSRC),
            header.Flags);
    }
}

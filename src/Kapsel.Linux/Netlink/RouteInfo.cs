using System.Net;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// A route as the kernel reports it. Destination is null for a default route. Protocol is
/// RTPROT_* (2 kernel, 3 boot, 4 static), Scope RT_SCOPE_*, Type RTN_* (1 unicast, 2 local, ...).
/// </summary>
public sealed record RouteInfo(
    IPNetwork? Destination,
    IPAddress? Gateway,
    int? OutputInterfaceIndex,
    uint Table,
    byte Protocol,
    byte Scope,
    byte Type,
    uint? Metric,
    IPAddress? PreferredSource,
    uint Flags)
{
    public bool IsDefault => Destination is null;
}

using System.Net;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// A route to add or delete. Destination null means the default route (0.0.0.0/0 or ::/0; the
/// family then comes from the gateway). Without a gateway the route is on-link (scope link) through
/// the output interface. OnLink marks a gateway as directly reachable even outside the interface's
/// subnets (RTNH_F_ONLINK), as used for point-to-point container links.
/// </summary>
public sealed record Route
{
    public IPNetwork? Destination { get; init; }
    public IPAddress? Gateway { get; init; }
    public LinkSelector? OutputInterface { get; init; }
    public uint? Metric { get; init; }
    public IPAddress? PreferredSource { get; init; }
    public bool OnLink { get; init; }
    /// <summary>Routing table id; 254 is "main".</summary>
    public uint Table { get; init; } = RouteMessage.RT_TABLE_MAIN;

    public static Route Default(IPAddress gateway, LinkSelector? outputInterface = null) =>
        new() { Gateway = gateway, OutputInterface = outputInterface };

    public static Route ToNetwork(IPNetwork destination, LinkSelector outputInterface) =>
        new() { Destination = destination, OutputInterface = outputInterface };

    public override string ToString() =>
        $"{(Destination is { } d ? d.ToString() : "default")}" +
        $"{(Gateway is { } g ? $" via {g}" : "")}{(OutputInterface is { } o ? $" dev {o}" : "")}" +
        $"{(Metric is { } m ? $" metric {m}" : "")}{(OnLink ? " onlink" : "")}" +
        $"{(Table != RouteMessage.RT_TABLE_MAIN ? $" table {Table}" : "")}";
}

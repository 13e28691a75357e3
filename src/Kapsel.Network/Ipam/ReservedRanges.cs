using System.Net;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Ipam;

/// <summary>
/// IPv4 ranges a network's subnet may never take (RFC 6890): a bridge there would capture the
/// host's own loopback, link-local or multicast traffic, or use addresses no host may have.
/// </summary>
public static class ReservedRanges
{
    public static readonly IReadOnlyList<(IPNetwork Range, string Name)> All =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "\"this network\" (0.0.0.0/8)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback (127.0.0.0/8)"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local (169.254.0.0/16)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast (224.0.0.0/4)"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved and broadcast (240.0.0.0/4)"),
    ];

    /// <summary>Throws a one-line <see cref="NetworkException"/> if <paramref name="subnet"/> overlaps a reserved range.</summary>
    public static void Refuse(IPNetwork subnet)
    {
        foreach (var (range, name) in All)
            if (Ipv4.Overlaps(subnet, range))
                throw new NetworkException($"subnet {subnet} overlaps the {name} range, which a network cannot use");
    }
}

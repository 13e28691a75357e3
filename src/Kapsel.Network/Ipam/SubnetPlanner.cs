using System.Net;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Ipam;

/// <summary>A subnet in use elsewhere: another Kapsel network or a route on the host.</summary>
public readonly record struct UsedSubnet(IPNetwork Subnet, string Owner);

/// <summary>
/// Chooses and validates a network's subnet and gateway. Pure: the caller passes what is in use
/// (the store's networks, read inside its write transaction, and the host's routes), so the
/// decision and the insert are atomic across concurrent kapsel processes.
/// </summary>
public static class SubnetPlanner
{
    /// <summary>Validates an explicit subnet, or slices the pool into /<paramref name="slicePrefix"/>s and takes the first free one.</summary>
    public static (IPNetwork Subnet, IPAddress Gateway) Plan(string? subnetText, string? gatewayText,
        IReadOnlyList<UsedSubnet> used, IPNetwork pool, int slicePrefix)
    {
        IPNetwork subnet;
        if (subnetText is not null)
        {
            subnet = Ipv4.ParseSubnet(subnetText);
            ReservedRanges.Refuse(subnet);
            foreach (var u in used)
                if (Ipv4.Overlaps(subnet, u.Subnet))
                    throw new NetworkException($"subnet {subnet} overlaps {u.Owner} ({u.Subnet})");
        }
        else
        {
            if (gatewayText is not null) throw new NetworkException("--gateway needs --subnet");
            subnet = FirstFree(used, pool, slicePrefix)
                ?? throw new NetworkException($"no free /{slicePrefix} subnet left in the pool {pool}; pass --subnet");
        }
        var gateway = gatewayText is null ? Ipv4.Host(subnet, 1) : Ipv4.ParseAddress(gatewayText, "gateway");
        if (!Ipv4.IsHost(subnet, gateway))
            throw new NetworkException($"gateway {gateway} is not a host address of subnet {subnet}");
        return (subnet, gateway);
    }

    private static IPNetwork? FirstFree(IReadOnlyList<UsedSubnet> used, IPNetwork pool, int slicePrefix)
    {
        var size = 1u << (32 - slicePrefix);
        var start = Ipv4.First(pool);
        var count = 1L << (slicePrefix - pool.PrefixLength);
        for (long i = 0; i < count; i++)
        {
            var candidate = new IPNetwork(Ipv4.FromUInt32(start + (uint)i * size), slicePrefix);
            if (!used.Any(u => Ipv4.Overlaps(candidate, u.Subnet)) && !ReservedRanges.All.Any(r => Ipv4.Overlaps(candidate, r.Range)))
                return candidate;
        }
        return null;
    }
}

using System.Net;

namespace Kapsel.Network.Networks;

/// <summary>Where a network or lease is in its life: recorded before anything is made, ready once complete.</summary>
public enum RecordState { Creating, Ready }

/// <summary>
/// A named network as stored. <see cref="Id"/> (8 hex) names its kernel objects: bridge
/// "{prefix}b-{id}", nft chains "n-{id}-…", so prune can tie each back to a record.
/// </summary>
public sealed record NetworkRecord(
    string Name,
    string Id,
    IPNetwork Subnet,
    IPAddress Gateway,
    string Bridge,
    bool Internal,
    RecordState State,
    DateTimeOffset Created)
{
    /// <summary>
    /// MTU of the bridge and of attachments (null: the kernel's 1500). Instances talk to each other
    /// at near-loopback speed with a large one (65520); 1500 keeps outbound paths unsurprising.
    /// </summary>
    public int? Mtu { get; init; }
}

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
    DateTimeOffset Created);

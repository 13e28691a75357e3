using System.Net;

namespace Kapsel.Network.Networks;

/// <summary>How an attachment reaches its bridge: a veth pair into a namespace, or a tap for a VM.</summary>
public enum AttachmentKind { Veth, Tap }

/// <summary>
/// An address handed to one instance on one network. <see cref="HostLink"/> (the host-side veth
/// or the tap) is recorded before it is created, so a crash leaves a record prune can act on.
/// </summary>
public sealed record LeaseRecord(
    string Id,
    string Network,
    string InstanceId,
    string Hostname,
    IPAddress Address,
    string Mac,
    string HostLink,
    AttachmentKind Kind,
    RecordState State,
    DateTimeOffset Created);

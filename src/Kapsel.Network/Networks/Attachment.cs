using System.Net;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Networks;

/// <summary>
/// An instance's place on a network. For a veth: <see cref="HostLink"/> is the host end on the
/// bridge, <see cref="InstanceInterface"/> the end inside the instance (eth0). For a tap,
/// <see cref="HostLink"/> is the persistent tap on the bridge and the guest configures
/// <see cref="Address"/>/<see cref="Gateway"/>/<see cref="Mac"/> itself (QEMU: <c>-netdev tap,ifname=HostLink,script=no,downscript=no
/// -device virtio-net,mac=Mac</c>). <see cref="Gateway"/> is null on internal networks (no route out)
/// but <see cref="Nameserver"/> is always the gateway address, where the network's DNS answers.
/// </summary>
public sealed record Attachment(
    string LeaseId,
    string Network,
    string InstanceId,
    string Hostname,
    AttachmentKind Kind,
    string HostLink,
    string? InstanceInterface,
    InterfaceAddress Address,
    string Mac,
    IPAddress? Gateway,
    IPAddress Nameserver,
    string Bridge)
{
    public IPAddress IPAddress => Address.Address;
}

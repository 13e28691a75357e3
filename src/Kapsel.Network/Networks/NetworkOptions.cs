using System.Net;

namespace Kapsel.Network.Networks;

/// <summary>
/// Knobs of a <see cref="NetworkManager"/>. Every kernel object it makes is named from
/// <see cref="LinkPrefix"/> ("k": bridges "kb-ID", veths "kv-ID", taps "kt-ID") and lives in
/// the nft table <see cref="TableName"/>; tests set both to something unique so that neither they
/// nor their prune ever touch a real Kapsel installation's objects.
/// </summary>
public sealed record NetworkOptions
{
    public string LinkPrefix { get; init; } = "k";
    public string TableName { get; init; } = "kapsel";
    public string DefaultNetworkName { get; init; } = "kapsel0";
    /// <summary>
    /// Subnets for networks created without --subnet, taken in /<see cref="SlicePrefix"/> slices,
    /// skipping any that a host route covers. Not Podman's 10.88.0.0/16 (its default CNI network
    /// routes all of it) nor Docker's 172.17+/16s, so Kapsel coexists with both on one host.
    /// </summary>
    public IPNetwork Pool { get; init; } = IPNetwork.Parse("10.87.0.0/16");
    public int SlicePrefix { get; init; } = 24;
    /// <summary>MTU of networks created without one (null: the kernel's 1500).</summary>
    public int? DefaultMtu { get; init; }
    /// <summary>Set net.ipv4.ip_forward=1 when a non-internal network is set up (needed for outbound NAT and published ports from other hosts).</summary>
    public bool EnableIpForwarding { get; init; } = true;
    /// <summary>Prune leaves records younger than this alone: another kapsel process may be setting them up right now.</summary>
    public TimeSpan PruneGrace { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Notices for the user (e.g. "enabled net.ipv4.ip_forward"); ignored when null.</summary>
    public Action<string>? Notice { get; init; }

    public string BridgePrefix => LinkPrefix + "b-";
    public string VethPrefix => LinkPrefix + "v-";
    public string TapPrefix => LinkPrefix + "t-";
}

using System.Net;

namespace Kapsel.Network.Networks;

/// <summary>
/// Knobs of a <see cref="NetworkManager"/>. Every kernel object it makes is named from
/// <see cref="LinkPrefix"/> ("k": bridges "kb-ID", veths "kv-ID", taps "kt-ID"), carries its
/// owner <see cref="RootId"/> in the link alias ("kapsel:ROOTID"), and its rules live in the
/// owner's own nft table <see cref="TableName"/> ("kapsel_ROOTID"), so several state roots share
/// a host without touching each other's objects. Tests may also set a prefix and table of their own.
/// </summary>
public sealed record NetworkOptions
{
    public string LinkPrefix { get; init; } = "k";
    /// <summary>The owning state root (<see cref="Kapsel.Linux.Host.StateRoots.Id"/>); "" for none (unit tests).</summary>
    public string RootId { get; init; } = "";
    private readonly string? _tableName;
    public string TableName { get => _tableName ?? (RootId.Length > 0 ? TablePrefix + RootId : "kapsel"); init => _tableName = value; }
    /// <summary>Every root's table is named "kapsel_ROOTID"; a table "kapsel" is an older Kapsel's.</summary>
    public const string TablePrefix = "kapsel_";
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

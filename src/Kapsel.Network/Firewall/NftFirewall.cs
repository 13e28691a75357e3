using System.Net;
using System.Text;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Firewall;

/// <summary>A published port as a DNAT rule: [hostIp:]hostPort/proto → target:targetPort.</summary>
public readonly record struct DnatRule(string Protocol, IPAddress? HostIp, int HostPort, IPAddress Target, int TargetPort);

/// <summary>
/// NAT and isolation in one Kapsel-owned table, <c>table inet {TableName}</c>; no other table is
/// ever read or written. The base chains are fixed and dispatch through verdict maps, so adding or
/// removing a network is an incremental change of a few map elements and its own chains:
/// <code>
/// forward:     iifname vmap @from → n-ID-out   (same bridge: accept; internal: drop;
///                                               other Kapsel bridge: drop; else accept)
///              oifname vmap @to   → n-ID-in    (established/related, DNAT'd: accept; else drop)
/// postrouting: from 127/8 into a Kapsel bridge: masquerade (loopback DNAT, see below);
///              ip saddr vmap @masq → n-ID-post (leaving by another interface: masquerade;
///                                               internal networks have no element, hence no NAT)
/// prerouting (nat): to a local address other than 127/8 → ports; output (nat): to any local
///              address → ports (one DNAT rule per published port, commented "kapsel:port:{attachment}")
/// input:       new connections from a Kapsel bridge to 127/8: drop
/// </code>
/// Published ports on 127.0.0.1 are DNAT'd by the kernel too (as Podman does): bridges get
/// route_localnet=1 so a 127.0.0.1-sourced packet may leave through them, masqueraded to the
/// gateway so the reply comes back; the input rule closes what route_localnet would open
/// (instances reaching the host's loopback-only services, CVE-2020-8558). The userland forwarder
/// still binds each port (it reserves it and serves wherever DNAT cannot).
/// Base chains use policy accept: Kapsel only drops traffic of its own bridges and never
/// overrides another table's verdict (nftables runs every table's hooks).
/// </summary>
public sealed class NftFirewall(string tableName = "kapsel", string bridgeWildcard = "kb-*")
{
    public const string PortRuleTag = "kapsel:port:";
    public string TableName { get; } = tableName;

    private string T => $"inet {TableName}";

    public static string OutChain(string id) => $"n-{id}-out";
    public static string InChain(string id) => $"n-{id}-in";
    public static string PostChain(string id) => $"n-{id}-post";

    /// <summary>
    /// Creates the table, base chains and maps if missing ("add" is idempotent in nft). Always its
    /// own transaction: nft 1.0.6 fails (ENOENT) to add an interval-map element in the same batch
    /// that declares the map.
    /// </summary>
    public void EnsureTable() => NftRunner.Apply(BaseScript(), $"create table {T}");

    private string BaseScript() => $$"""
        add table {{T}}
        add map {{T}} from { type ifname : verdict; }
        add map {{T}} to { type ifname : verdict; }
        add map {{T}} masq { type ipv4_addr : verdict; flags interval; }
        add chain {{T}} forward { type filter hook forward priority filter; policy accept; }
        add chain {{T}} postrouting { type nat hook postrouting priority srcnat; policy accept; }
        add chain {{T}} prerouting { type nat hook prerouting priority dstnat; policy accept; }
        add chain {{T}} output { type nat hook output priority -100; policy accept; }
        add chain {{T}} input { type filter hook input priority filter; policy accept; }
        add chain {{T}} ports
        flush chain {{T}} forward
        flush chain {{T}} postrouting
        flush chain {{T}} prerouting
        flush chain {{T}} output
        flush chain {{T}} input
        add rule {{T}} forward iifname vmap @from
        add rule {{T}} forward oifname vmap @to
        add rule {{T}} postrouting ip saddr 127.0.0.0/8 oifname "{{bridgeWildcard}}" masquerade
        add rule {{T}} postrouting ip saddr vmap @masq
        add rule {{T}} prerouting ip daddr != 127.0.0.0/8 fib daddr type local jump ports
        add rule {{T}} output fib daddr type local jump ports
        add rule {{T}} input iifname "{{bridgeWildcard}}" ip daddr 127.0.0.0/8 ct state new counter drop

        """;

    /// <summary>Adds (or rebuilds) one network's chains and map elements, in one transaction.</summary>
    public void AddNetwork(NetworkRecord network)
    {
        var (o, i, p, br) = (OutChain(network.Id), InChain(network.Id), PostChain(network.Id), network.Bridge);
        EnsureTable();
        var s = new StringBuilder();
        foreach (var chain in new[] { o, i }) s.Append($"add chain {T} {chain}\nflush chain {T} {chain}\n");
        s.Append($"add rule {T} {o} oifname \"{br}\" accept\n");
        if (network.Internal)
        {
            s.Append($"add rule {T} {o} counter drop\n");
            s.Append($"add rule {T} {i} ct state established,related accept\n");
            s.Append($"add rule {T} {i} counter drop\n");
        }
        else
        {
            s.Append($"add rule {T} {o} ct status dnat accept\n");
            s.Append($"add rule {T} {o} oifname \"{bridgeWildcard}\" counter drop\n");
            s.Append($"add rule {T} {o} accept\n");
            s.Append($"add rule {T} {i} ct state established,related accept\n");
            s.Append($"add rule {T} {i} ct status dnat accept\n");
            s.Append($"add rule {T} {i} counter drop\n");
            s.Append($"add chain {T} {p}\nflush chain {T} {p}\n");
            s.Append($"add rule {T} {p} oifname != \"{br}\" masquerade\n");
            s.Append($"add element {T} masq {{ {network.Subnet} : jump {p} }}\n");
        }
        s.Append($"add element {T} from {{ \"{br}\" : jump {o} }}\n");
        s.Append($"add element {T} to {{ \"{br}\" : jump {i} }}\n");
        NftRunner.Apply(s.ToString(), $"add rules of network \"{network.Name}\"");
    }

    /// <summary>Removes everything of the network with this id (map elements first, then chains).</summary>
    public void RemoveNetwork(string id) => RemoveNetworks([id], Snapshot());

    /// <summary>Removes the rules of several networks by id, as found in <paramref name="snapshot"/>.</summary>
    public void RemoveNetworks(IReadOnlyCollection<string> ids, NftTableSnapshot snapshot)
    {
        var chains = ids.SelectMany(id => new[] { OutChain(id), InChain(id), PostChain(id) }).ToHashSet();
        var s = new StringBuilder();
        foreach (var e in snapshot.Elements.Where(e => chains.Contains(e.Target)))
            s.Append($"delete element {T} {e.Map} {{ {e.Key} }}\n");
        foreach (var c in chains.Where(snapshot.Chains.Contains)) s.Append($"delete chain {T} {c}\n");
        if (s.Length > 0) NftRunner.Apply(s.ToString(), $"remove network rules ({string.Join(", ", ids)})");
    }

    /// <summary>Network ids that have chains in the table (for prune).</summary>
    public static IReadOnlySet<string> NetworkIds(NftTableSnapshot snapshot) =>
        snapshot.Chains.Where(c => c.StartsWith("n-", StringComparison.Ordinal) && c.Count(ch => ch == '-') == 2)
            .Select(c => c.Split('-')[1]).ToHashSet();

    /// <summary>Adds the DNAT rules of one attachment's published ports, tagged with its id.</summary>
    public void AddPortRules(string attachmentId, IReadOnlyList<DnatRule> rules)
    {
        if (rules.Count == 0) return;
        EnsureTable();
        var s = new StringBuilder();
        foreach (var r in rules)
        {
            var daddr = r.HostIp is { } ip && !ip.Equals(IPAddress.Any) ? $"ip daddr {ip} " : "";
            s.Append($"add rule {T} ports {daddr}meta l4proto {r.Protocol} th dport {r.HostPort} counter " +
                     $"dnat ip to {r.Target}:{r.TargetPort} comment \"{PortRuleTag}{attachmentId}\"\n");
        }
        NftRunner.Apply(s.ToString(), "add published-port rules");
    }

    /// <summary>Removes the port rules of the given attachments (by comment tag).</summary>
    public void RemovePortRules(IReadOnlyCollection<string> attachmentIds, NftTableSnapshot? snapshot = null)
    {
        snapshot ??= Snapshot();
        var tags = attachmentIds.Select(id => PortRuleTag + id).ToHashSet();
        var s = new StringBuilder();
        foreach (var r in snapshot.Rules.Where(r => tags.Contains(r.Comment)))
            s.Append($"delete rule {T} {r.Chain} handle {r.Handle}\n");
        if (s.Length > 0) NftRunner.Apply(s.ToString(), "remove published-port rules");
    }

    /// <summary>Attachment ids that have port rules in the table (for prune).</summary>
    public static IReadOnlySet<string> PortRuleOwners(NftTableSnapshot snapshot) =>
        snapshot.Rules.Where(r => r.Comment.StartsWith(PortRuleTag, StringComparison.Ordinal))
            .Select(r => r.Comment[PortRuleTag.Length..]).ToHashSet();

    /// <summary>The table's current content, or empty if the table does not exist.</summary>
    public NftTableSnapshot Snapshot() =>
        NftRunner.ListJson("-a", "list", "table", "inet", TableName) is { } json ? NftTableSnapshot.Parse(json) : NftTableSnapshot.Empty;

    /// <summary>Names of every table of family inet on the host (for `system check`).</summary>
    public static IReadOnlyList<string> ListTables()
    {
        if (NftRunner.ListJson("list", "tables", "inet") is not { } json) return [];
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("nftables").EnumerateArray()
            .Where(i => i.TryGetProperty("table", out _))
            .Select(i => i.GetProperty("table").GetProperty("name").GetString()!).ToList();
    }

    public bool TableExists() => NftRunner.ListJson("list", "table", "inet", TableName) is not null;

    /// <summary>Deletes the whole table (tests; `kapsel system reset`). Absent is fine.</summary>
    public void DeleteTable()
    {
        if (TableExists()) NftRunner.Apply($"delete table {T}\n", $"delete table {T}");
    }
}

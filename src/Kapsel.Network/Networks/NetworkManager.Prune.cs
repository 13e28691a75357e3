using Kapsel.Linux.Host;
using Kapsel.Network.Firewall;

namespace Kapsel.Network.Networks;

/// <summary>Finding and removing what a crash, a forgotten record or a deleted root left behind.</summary>
public sealed partial class NetworkManager
{
    /// <summary>
    /// Makes the kernel agree with the store:
    /// networks stuck in Creating → deleted; leases whose veth vanished (their namespace died) or
    /// stuck in Creating → released; then the orphans of <see cref="FindOrphans"/> → removed.
    /// Records younger than <see cref="NetworkOptions.PruneGrace"/> are left alone (another
    /// process may be mid-way). Another root's objects are never touched while that root exists.
    /// </summary>
    public PruneReport Prune(bool includeUnowned = false)
    {
        var now = DateTimeOffset.UtcNow;
        bool Old(DateTimeOffset created) => now - created > Options.PruneGrace;
        var removedNetworks = new List<string>();
        var removedLeases = new List<string>();

        foreach (var network in Store.ListNetworks().Where(n => n.State == RecordState.Creating && Old(n.Created)))
        {
            Delete(network.Name, force: true);
            removedNetworks.Add(network.Name);
        }

        var links = _rtnl.ListLinks().Select(l => l.Name).ToHashSet();
        foreach (var lease in Store.ListLeases())
        {
            var gone = lease.Kind == AttachmentKind.Veth && !links.Contains(lease.HostLink);
            if ((gone || lease.State == RecordState.Creating) && Old(lease.Created))
            {
                Release(lease);
                removedLeases.Add($"{lease.Network}/{lease.Hostname} {lease.Address}");
            }
        }

        var removed = RemoveOrphans(FindOrphans().Where(o => includeUnowned || !o.Unowned).ToList());
        return new PruneReport(removedNetworks, removedLeases,
            removed.Where(o => o.Kind == "link").Select(o => o.Name).ToList(),
            removed.Where(o => o.Kind != "link").Select(Describe).ToList());
    }

    /// <summary>
    /// Host network objects no existing state knows about: links with this manager's prefixes
    /// that belong to this root but no record names, or to a root that is gone; in this root's
    /// table, chains of unknown networks and port rules of unknown leases; other roots' tables
    /// (`kapsel_ROOTID`) whose root is gone. Links without an owner and tables of unregistered
    /// names are reported as unowned.
    /// </summary>
    public IReadOnlyList<HostOrphan> FindOrphans()
    {
        var result = new List<HostOrphan>();
        var bridges = Store.ListNetworks().Select(n => n.Bridge).ToHashSet();
        var hostLinks = Store.ListLeases().Select(l => l.HostLink).ToHashSet();
        foreach (var link in _rtnl.ListLinks())
        {
            var isBridge = link.Name.StartsWith(Options.BridgePrefix, StringComparison.Ordinal);
            var isPort = link.Name.StartsWith(Options.VethPrefix, StringComparison.Ordinal) || link.Name.StartsWith(Options.TapPrefix, StringComparison.Ordinal);
            if (!isBridge && !isPort) continue;
            var owner = StateRoots.OwnerOf(link.Alias);
            // Without a root id (unit tests' managers) every link with the prefixes is this manager's.
            var status = Options.RootId.Length == 0 ? RootStatus.Self : StateRoots.StatusOf(owner, Options.RootId);
            var known = isBridge ? bridges.Contains(link.Name) : hostLinks.Contains(link.Name);
            switch (status)
            {
                case RootStatus.Self when !known:
                    result.Add(new HostOrphan("link", link.Name, "this root has no record of it"));
                    break;
                case RootStatus.Gone:
                    result.Add(new HostOrphan("link", link.Name, $"its root {StateRoots.PathOf(owner!)} no longer exists"));
                    break;
                case RootStatus.Unknown when !known:
                    result.Add(new HostOrphan("link", link.Name, owner is null ? "no owner recorded (an older Kapsel's?)" : $"owner {owner} is not a registered root", Unowned: true));
                    break;
            }
        }

        var snapshot = Firewall.Snapshot();
        var networkIds = Store.ListNetworks().Select(n => n.Id).ToHashSet();
        foreach (var id in NftFirewall.NetworkIds(snapshot).Where(id => !networkIds.Contains(id)))
            result.Add(new HostOrphan("nft chains", $"{Firewall.TableName}/n-{id}-*", "rules of a network this root has no record of"));
        var leaseIds = Store.ListLeases().Select(l => l.Id).ToHashSet();
        foreach (var id in NftFirewall.PortRuleOwners(snapshot).Where(id => !leaseIds.Contains(id)))
            result.Add(new HostOrphan("nft port rules", $"{Firewall.TableName}/{id}", "published ports of an attachment this root has no record of"));

        foreach (var table in NftFirewall.ListTables().Where(t => t != Firewall.TableName))
        {
            if (table == "kapsel")
                result.Add(new HostOrphan("nft table", table, "the table of an older Kapsel (before one table per root)", Unowned: true));
            else if (table.StartsWith(NetworkOptions.TablePrefix, StringComparison.Ordinal))
            {
                var owner = table[NetworkOptions.TablePrefix.Length..];
                switch (StateRoots.StatusOf(owner, Options.RootId))
                {
                    case RootStatus.Gone:
                        result.Add(new HostOrphan("nft table", table, $"its root {StateRoots.PathOf(owner)} no longer exists"));
                        break;
                    case RootStatus.Unknown:
                        result.Add(new HostOrphan("nft table", table, "not the table of a registered root", Unowned: true));
                        break;
                }
            }
        }
        return result;
    }

    private static string Describe(HostOrphan o) => o.Kind switch
    {
        "nft chains" => $"network {o.Name.Split('/')[1].Split('-')[1]}",
        "nft port rules" => $"ports of {o.Name.Split('/')[1]}",
        _ => $"{o.Kind} {o.Name}",
    };

    /// <summary>Removes the given orphans (as found by <see cref="FindOrphans"/>); returns those removed.</summary>
    public IReadOnlyList<HostOrphan> RemoveOrphans(IReadOnlyList<HostOrphan> orphans)
    {
        var removed = new List<HostOrphan>();
        foreach (var o in orphans.Where(o => o.Kind == "link"))
        {
            DeleteLinkIfPresent(o.Name);
            removed.Add(o);
        }
        var chains = orphans.Where(o => o.Kind == "nft chains").ToList();
        var ports = orphans.Where(o => o.Kind == "nft port rules").ToList();
        if (chains.Count + ports.Count > 0)
        {
            var snapshot = Firewall.Snapshot();
            if (chains.Count > 0) Firewall.RemoveNetworks(chains.Select(o => o.Name.Split('/')[1].Split('-')[1]).ToList(), snapshot);
            if (ports.Count > 0) Firewall.RemovePortRules(ports.Select(o => o.Name.Split('/')[1]).ToList(), snapshot);
            removed.AddRange(chains.Concat(ports));
        }
        foreach (var o in orphans.Where(o => o.Kind == "nft table"))
        {
            new NftFirewall(o.Name).DeleteTable();
            removed.Add(o);
        }
        return removed;
    }
}

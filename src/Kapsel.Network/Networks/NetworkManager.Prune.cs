using Kapsel.Network.Firewall;

namespace Kapsel.Network.Networks;

/// <summary>Finding and removing what a crash (or a forgotten record) left behind.</summary>
public sealed partial class NetworkManager
{
    /// <summary>
    /// Makes the kernel agree with the store:
    /// networks stuck in Creating → deleted; leases whose veth vanished (their namespace died) or
    /// stuck in Creating → released; links with our prefixes that no record names → deleted; nft
    /// chains of unknown networks and port rules of unknown leases → deleted. Records younger than
    /// <see cref="NetworkOptions.PruneGrace"/> are left alone (another process may be mid-way).
    /// </summary>
    public PruneReport Prune()
    {
        var now = DateTimeOffset.UtcNow;
        bool Old(DateTimeOffset created) => now - created > Options.PruneGrace;
        var removedNetworks = new List<string>();
        var removedLeases = new List<string>();
        var removedLinks = new List<string>();
        var removedRules = new List<string>();

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

        var bridges = Store.ListNetworks().Select(n => n.Bridge).ToHashSet();
        var hostLinks = Store.ListLeases().Select(l => l.HostLink).ToHashSet();
        foreach (var link in _rtnl.ListLinks().Select(l => l.Name))
        {
            var orphan = link.StartsWith(Options.BridgePrefix, StringComparison.Ordinal) ? !bridges.Contains(link)
                : (link.StartsWith(Options.VethPrefix, StringComparison.Ordinal) || link.StartsWith(Options.TapPrefix, StringComparison.Ordinal))
                  && !hostLinks.Contains(link);
            if (!orphan) continue;
            DeleteLinkIfPresent(link);
            removedLinks.Add(link);
        }

        var snapshot = Firewall.Snapshot();
        var networkIds = Store.ListNetworks().Select(n => n.Id).ToHashSet();
        var staleNetworks = NftFirewall.NetworkIds(snapshot).Where(id => !networkIds.Contains(id)).ToList();
        if (staleNetworks.Count > 0)
        {
            Firewall.RemoveNetworks(staleNetworks, snapshot);
            removedRules.AddRange(staleNetworks.Select(id => $"network {id}"));
        }
        var leaseIds = Store.ListLeases().Select(l => l.Id).ToHashSet();
        var stalePorts = NftFirewall.PortRuleOwners(snapshot).Where(id => !leaseIds.Contains(id)).ToList();
        if (stalePorts.Count > 0)
        {
            Firewall.RemovePortRules(stalePorts, snapshot);
            removedRules.AddRange(stalePorts.Select(id => $"ports of {id}"));
        }
        return new PruneReport(removedNetworks, removedLeases, removedLinks, removedRules);
    }
}

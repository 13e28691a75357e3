using System.Net.Sockets;
using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Network.Ipam;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Networks;

/// <summary>Attaching instances: veth into a network namespace, tap for a VM, none, host.</summary>
public sealed partial class NetworkManager
{
    /// <summary>
    /// Connects the network namespace <paramref name="netns"/> (fd or pid) to a network: a lease is
    /// recorded, then a veth pair is made with its peer born inside the namespace as
    /// <see cref="ConnectOptions.InterfaceName"/>, the host end goes on the bridge, and inside the
    /// peer gets MAC, address, lo up and (unless internal) a default route via the gateway.
    /// The default network is created if this is its first use.
    /// </summary>
    public Attachment Connect(string network, string instanceId, NetworkNamespaceRef netns, ConnectOptions? options = null)
    {
        options ??= new ConnectOptions();
        var record = GetOrCreate(network);
        EnsureUp(record);
        var lease = Lease(record, instanceId, options.Hostname, AttachmentKind.Veth, Options.VethPrefix);
        try
        {
            try { _rtnl.CreateVeth(lease.HostLink, options.InterfaceName, netns, options.Mtu ?? record.Mtu); }
            catch (NetlinkException e) when (e.Errno == Errnos.EEXIST)
            {
                throw new NetworkException($"cannot connect {instanceId} to \"{network}\": the instance already has an interface \"{options.InterfaceName}\" (or {lease.HostLink} exists)", e);
            }
            MarkOwned(lease.HostLink);
            _rtnl.SetMaster(lease.HostLink, record.Bridge);
            _rtnl.SetUp(lease.HostLink);
            using (var inside = OpenInside(netns))
            {
                var ifName = options.InterfaceName;
                inside.SetMacAddress(ifName, System.Net.NetworkInformation.PhysicalAddress.Parse(lease.Mac));
                inside.AddAddress(ifName, new InterfaceAddress(lease.Address, record.Subnet.PrefixLength));
                inside.SetUp(ifName);
                inside.BringUpLoopback();
                // A second network does not replace the first one's default route.
                if (!record.Internal && !inside.ListRoutes(AddressFamily.InterNetwork).Any(r => r.IsDefault))
                    inside.AddRoute(Route.Default(record.Gateway, ifName));
            }
            Store.SetLeaseState(lease.Id, RecordState.Ready);
            return ToAttachment(record, lease, options.InterfaceName);
        }
        catch (Exception e)
        {
            Release(lease);
            throw e as NetworkException ?? new NetworkException($"cannot connect {instanceId} to \"{network}\": {e.Message}", e);
        }
    }

    /// <summary>
    /// Connects a VM: a persistent tap "{prefix}t-ID" on the bridge (it outlives this process,
    /// as the VM will), with a leased address and MAC for the guest to use. QEMU attaches by name
    /// (<c>ifname=</c>) or the caller opens a queue fd with <see cref="TunTapDevice.Create"/> on that name.
    /// </summary>
    public Attachment ConnectTap(string network, string instanceId, string? hostname = null, uint? ownerUid = null)
    {
        var record = GetOrCreate(network);
        EnsureUp(record);
        var lease = Lease(record, instanceId, hostname, AttachmentKind.Tap, Options.TapPrefix);
        try
        {
            TunTapDevice.CreatePersistent(lease.HostLink, TunTapMode.Tap, ownerUid);
            MarkOwned(lease.HostLink);
            _rtnl.SetMaster(lease.HostLink, record.Bridge);
            _rtnl.SetUp(lease.HostLink);
            Store.SetLeaseState(lease.Id, RecordState.Ready);
            return ToAttachment(record, lease, null);
        }
        catch (Exception e)
        {
            Release(lease);
            throw e as NetworkException ?? new NetworkException($"cannot connect VM {instanceId} to \"{network}\": {e.Message}", e);
        }
    }

    /// <summary>
    /// Sets up an instance's network for its mode: a named network → <see cref="Connect"/>;
    /// none → only lo up in the (new, empty) namespace; host → nothing (no namespace). Returns the
    /// attachment, or null for none/host.
    /// </summary>
    public Attachment? Attach(NetworkMode mode, string instanceId, NetworkNamespaceRef? netns, ConnectOptions? options = null)
    {
        switch (mode.Kind)
        {
            case NetworkModeKind.Host:
                return null;
            case NetworkModeKind.None:
                using (var inside = OpenInside(netns ?? throw new ArgumentException("network mode none needs the instance's network namespace")))
                    inside.BringUpLoopback();
                return null;
            default:
                return Connect(mode.NetworkName ?? Options.DefaultNetworkName, instanceId,
                    netns ?? throw new ArgumentException("a named network needs the instance's network namespace"), options);
        }
    }

    /// <summary>Disconnects the instance from the network: port rules, links and leases go. Returns how many attachments were removed.</summary>
    public int Disconnect(string network, string instanceId)
    {
        _ = Get(network);
        var leases = Store.ListLeases(network).Where(l => l.InstanceId == instanceId).ToList();
        foreach (var lease in leases) Release(lease);
        return leases.Count;
    }

    /// <summary>Disconnects the instance from every network (instance delete).</summary>
    public int DisconnectAll(string instanceId)
    {
        var leases = Store.ListLeases().Where(l => l.InstanceId == instanceId).ToList();
        foreach (var lease in leases) Release(lease);
        return leases.Count;
    }

    public IReadOnlyList<Attachment> Attachments(string? instanceId = null)
    {
        var networks = Store.ListNetworks().ToDictionary(n => n.Name);
        return Store.ListLeases()
            .Where(l => instanceId is null || l.InstanceId == instanceId)
            .Where(l => networks.ContainsKey(l.Network))
            .Select(l => ToAttachment(networks[l.Network], l, null))
            .ToList();
    }

    private LeaseRecord Lease(NetworkRecord network, string instanceId, string? hostname, AttachmentKind kind, string linkPrefix)
    {
        if (string.IsNullOrWhiteSpace(instanceId)) throw new NetworkException("an instance id is required");
        return Store.AddLease(network.Name, taken =>
        {
            var address = AddressPicker.Pick(network.Subnet, network.Gateway, taken, network.Name);
            var id = Guid.NewGuid().ToString("N")[..8];
            var mac = string.Join(":", AddressPicker.MacFor(address).GetAddressBytes().Select(b => b.ToString("x2")));
            return new LeaseRecord(id, network.Name, instanceId, hostname ?? instanceId, address, mac, linkPrefix + id,
                kind, RecordState.Creating, DateTimeOffset.UtcNow);
        });
    }

    /// <summary>Undoes one attachment in reverse order; every step tolerates "already gone".</summary>
    private void Release(LeaseRecord lease)
    {
        Firewall.RemovePortRules([lease.Id]);
        DeleteLinkIfPresent(lease.HostLink); // a veth takes its peer along; a persistent tap goes too
        Store.RemoveLease(lease.Id);
    }

    private static RtNetlink OpenInside(NetworkNamespaceRef netns)
    {
        if (netns.IsFd) return RtNetlink.OpenInNamespace(netns.Fd);
        var fd = FileCalls.Open($"/proc/{netns.Pid}/ns/net", FileCalls.O_RDONLY);
        try { return RtNetlink.OpenInNamespace(fd); }
        finally { FileCalls.Close(fd); }
    }

    private static Attachment ToAttachment(NetworkRecord network, LeaseRecord lease, string? instanceInterface) =>
        new(lease.Id, network.Name, lease.InstanceId, lease.Hostname, lease.Kind, lease.HostLink, instanceInterface,
            new InterfaceAddress(lease.Address, network.Subnet.PrefixLength), lease.Mac,
            network.Internal ? null : network.Gateway, network.Gateway, network.Bridge);
}

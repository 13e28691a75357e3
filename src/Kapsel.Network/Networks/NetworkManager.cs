using System.Text.RegularExpressions;
using Kapsel.Linux;
using Kapsel.Network.Firewall;
using Kapsel.Network.Ipam;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Networks;

/// <summary>
/// Named networks: a Linux bridge with the gateway address, an address pool in the store, and
/// NAT/isolation rules in Kapsel's nft table. Every step is recorded before it is taken (a
/// network or lease row in state Creating, naming the links it is about to make) and undone in
/// reverse if a later step fails, so a crash leaves only things <see cref="Prune"/> can find.
/// </summary>
public sealed partial class NetworkManager : IDisposable
{
    private static readonly Regex ValidName = new("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$", RegexOptions.CultureInvariant);
    private readonly RtNetlink _rtnl;

    public INetworkStore Store { get; }
    public NetworkOptions Options { get; }
    public NftFirewall Firewall { get; }

    public NetworkManager(INetworkStore store, NetworkOptions? options = null)
    {
        Store = store;
        Options = options ?? new NetworkOptions();
        if (Options.TapPrefix.Length + 8 > 15) throw new ArgumentException($"link prefix \"{Options.LinkPrefix}\" is too long for 15-byte interface names");
        Firewall = new NftFirewall(Options.TableName, Options.BridgePrefix + "*");
        _rtnl = RtNetlink.Open();
    }

    public IReadOnlyList<NetworkRecord> List() => Store.ListNetworks();

    public NetworkRecord Get(string name) =>
        Store.FindNetwork(name) ?? throw new NetworkException($"network \"{name}\" not found");

    /// <summary>
    /// Creates a network: validates the name, subnet (free in the pool when omitted; overlapping
    /// neither another network nor a host route) and gateway (.1 when omitted), records it, then
    /// makes the bridge and its rules. IPv6 is not supported yet and is refused clearly.
    /// </summary>
    public NetworkRecord Create(string name, string? subnet = null, string? gateway = null, bool @internal = false,
        string? ipv6Subnet = null, int? mtu = null)
    {
        mtu ??= Options.DefaultMtu;
        if (mtu is < 576 or > 65535) throw new NetworkException($"invalid MTU {mtu}: must be 576 to 65535");
        if (!ValidName.IsMatch(name) || name is "none" or "host" or "bridge" or "default")
            throw new NetworkException($"invalid network name \"{name}\": use letters, digits, '_', '.', '-' (up to 64), not none/host/bridge/default");
        if (ipv6Subnet is not null) throw new NetworkException("IPv6 networks are not supported yet");
        var hostRoutes = HostRoutes.Read(_rtnl);
        var hostLinks = _rtnl.ListLinks().Select(l => l.Name).ToHashSet();
        var record = Store.AddNetwork(name, existing =>
        {
            var used = existing.Select(n => new UsedSubnet(n.Subnet, $"network \"{n.Name}\"")).Concat(hostRoutes).ToList();
            var (s, g) = SubnetPlanner.Plan(subnet, gateway, used, Options.Pool, Options.SlicePrefix);
            // Ids are random; one another root (or a deleted one) already uses as a bridge name is skipped.
            var id = NewId(existing.Select(n => n.Id).Concat(hostLinks.Where(IsOwnBridge).Select(l => l[Options.BridgePrefix.Length..])));
            return new NetworkRecord(name, id, s, g, Options.BridgePrefix + id, @internal, RecordState.Creating, DateTimeOffset.UtcNow) { Mtu = mtu };
        });
        try
        {
            SetUpKernelSide(record);
            Store.SetNetworkState(name, RecordState.Ready);
            return record with { State = RecordState.Ready };
        }
        catch (Exception e)
        {
            TearDownKernelSide(record);
            Store.RemoveNetwork(name);
            throw e as NetworkException ?? new NetworkException($"creating network \"{name}\": {e.Message}", e);
        }
    }

    /// <summary>The default network, created on first use (concurrent first uses agree on one).</summary>
    public NetworkRecord GetOrCreateDefault() => GetOrCreate(Options.DefaultNetworkName);

    private NetworkRecord GetOrCreate(string name)
    {
        if (Store.FindNetwork(name) is { } existing) return existing;
        if (name != Options.DefaultNetworkName) throw new NetworkException($"network \"{name}\" not found");
        try { return Create(name); }
        catch (NetworkException) when (Store.FindNetwork(name) is { } raced) { return raced; }
    }

    /// <summary>
    /// Deletes a network: its rules, bridge and record. With attached instances it refuses,
    /// unless <paramref name="force"/> disconnects them first.
    /// </summary>
    public void Delete(string name, bool force = false)
    {
        var network = Get(name);
        var leases = Store.ListLeases(name);
        if (leases.Count > 0 && !force)
            throw new NetworkException($"network \"{name}\" has {leases.Count} attached instance(s): {string.Join(", ", leases.Select(l => l.Hostname))}");
        foreach (var lease in leases) Release(lease);
        TearDownKernelSide(network);
        Store.RemoveNetwork(name);
    }

    /// <summary>Bridge with gateway address, up; rules; ip_forward. Idempotent: also repairs a network after a reboot.</summary>
    private void SetUpKernelSide(NetworkRecord network)
    {
        if (_rtnl.FindLink(network.Bridge) is null)
        {
            _rtnl.CreateBridge(network.Bridge, network.Mtu);
            MarkOwned(network.Bridge);
            _rtnl.AddAddress(network.Bridge, new InterfaceAddress(network.Gateway, network.Subnet.PrefixLength));
        }
        _rtnl.SetUp(network.Bridge);
        // Loopback-published ports are DNAT'd into the bridge: 127.0.0.1-sourced packets may leave by it
        // (the firewall masquerades them and drops new connections from the bridge to 127/8).
        try { File.WriteAllText($"/proc/sys/net/ipv4/conf/{network.Bridge}/route_localnet", "1"); }
        catch (IOException) { /* a kernel without it: the userland forwarder serves loopback */ }
        Firewall.AddNetwork(network);
        if (!network.Internal && Options.EnableIpForwarding && IpForwarding.Enable())
            Options.Notice?.Invoke("enabled net.ipv4.ip_forward=1 (needed for outbound NAT and published ports)");
    }

    private void TearDownKernelSide(NetworkRecord network)
    {
        Firewall.RemoveNetwork(network.Id);
        DeleteLinkIfPresent(network.Bridge);
    }

    private void EnsureUp(NetworkRecord network)
    {
        if (_rtnl.FindLink(network.Bridge) is not { IsUp: true }) SetUpKernelSide(network);
    }

    /// <summary>Records this root as the link's owner in its alias (what prune and `system check` go by).</summary>
    private void MarkOwned(string link)
    {
        if (Options.RootId.Length > 0) _rtnl.SetAlias(link, Linux.Host.StateRoots.Alias(Options.RootId));
    }

    private bool IsOwnBridge(string link) => link.StartsWith(Options.BridgePrefix, StringComparison.Ordinal);

    private void DeleteLinkIfPresent(string name)
    {
        try { _rtnl.DeleteLink(name); }
        catch (NetlinkException e) when (e.Errno == Errnos.ENODEV) { }
    }

    private static string NewId(IEnumerable<string> taken)
    {
        var set = taken.ToHashSet();
        while (true)
        {
            var id = Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant();
            if (!set.Contains(id)) return id;
        }
    }

    public void Dispose() => _rtnl.Dispose();
}

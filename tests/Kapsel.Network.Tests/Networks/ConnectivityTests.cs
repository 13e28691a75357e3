using System.Net;
using System.Net.Sockets;
using Kapsel.Network.Dns;
using Kapsel.Network.Firewall;
using Kapsel.Linux.Netlink;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Tests.Networks;

/// <summary>Real namespaces on real bridges: reachability, names, isolation, none/host, internal.</summary>
public sealed class ConnectivityTests : IDisposable
{
    private readonly NetworkTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void InstancesOnOneNetworkReachEachOtherByNameAndAnotherNetworkCannotReachThem()
    {
        var netA = _env.Manager.Create(_env.UniqueName("a"), NetworkTestEnvironment.NewSubnet());
        var netB = _env.Manager.Create(_env.UniqueName("b"), NetworkTestEnvironment.NewSubnet());
        Assert.True(IpForwarding.IsEnabled); // so the isolation below is nft's doing, not routing's
        var (ns1, ns2, ns3) = (_env.Namespace(), _env.Namespace(), _env.Namespace());
        var a1 = _env.Connect(netA.Name, "inst-1", ns1, new ConnectOptions { Hostname = "web" });
        var a2 = _env.Connect(netA.Name, "inst-2", ns2, new ConnectOptions { Hostname = "db" });
        var b3 = _env.Connect(netB.Name, "inst-3", ns3);
        Assert.Equal(Kapsel.Network.Ipam.Ipv4.Host(netA.Subnet, 2), a1.IPAddress);
        Assert.Equal(Kapsel.Network.Ipam.Ipv4.Host(netA.Subnet, 3), a2.IPAddress);
        Assert.Equal(netA.Gateway, a1.Gateway);

        // Inside: eth0 with the leased address and MAC, lo up, default route via the gateway.
        using (var inside = RtNetlink.OpenInNamespace(ns1.Path))
        {
            var eth0 = inside.GetLink("eth0");
            Assert.True(eth0.IsUp && inside.GetLink("lo").IsUp);
            Assert.Equal(a1.Mac, string.Join(":", eth0.MacAddress!.GetAddressBytes().Select(b => b.ToString("x2"))));
            Assert.Contains(inside.ListAddresses("eth0", AddressFamily.InterNetwork), x => x.Address == a1.Address);
            Assert.Contains(inside.ListRoutes(AddressFamily.InterNetwork), r => r.IsDefault && r.Gateway!.Equals(netA.Gateway));
        }

        Ping(ns1, a2.IPAddress, expect: true);
        Ping(ns2, a1.IPAddress, expect: true);

        using var dns = _env.Manager.StartDns(netA.Name);
        _env.SetResolvConf(ns1, NetworkManager.ResolvConfFor(a1));
        var lookup = NetworkTestEnvironment.Exec(ns1, "nslookup", "db", netA.Gateway.ToString());
        Assert.True(lookup.ExitCode == 0, lookup.Stdout + lookup.Stderr);
        Assert.Contains(a2.IPAddress.ToString(), lookup.Stdout);
        var byId = NetworkTestEnvironment.Exec(ns2, "nslookup", "inst-1", netA.Gateway.ToString());
        Assert.Contains(a1.IPAddress.ToString(), byId.Stdout);
        var unknown = NetworkTestEnvironment.Exec(ns1, "nslookup", "nobody-here", netA.Gateway.ToString());
        Assert.NotEqual(0, unknown.ExitCode);
        // By name through the generated resolv.conf (ip netns exec mounts it over /etc/resolv.conf).
        var byName = NetworkTestEnvironment.Exec(ns1, "ping", "-c", "1", "-W", "2", "db");
        Assert.True(byName.ExitCode == 0, byName.Stdout + byName.Stderr);
        Assert.Contains(a2.IPAddress.ToString(), byName.Stdout);

        // TCP and UDP by name between the two, with sockets living in the namespaces.
        TcpRoundTrip(ns2, ns1, a2.IPAddress);
        UdpRoundTrip(ns2, ns1, a2.IPAddress);

        // The other network: its own gateway answers, network A does not.
        Ping(ns3, netB.Gateway, expect: true);
        Ping(ns3, a1.IPAddress, expect: false);
        Ping(ns1, b3.IPAddress, expect: false);
        Assert.True(DropCounter(netB.Id) > 0 || DropCounter(netA.Id) > 0, "the nft drop rules saw the cross-network packets");
    }

    [Fact]
    public void NoneHasOnlyLoopbackAndHostNeedsNoNamespace()
    {
        var ns = _env.Namespace();
        var fd = ns.OpenFd();
        try { Assert.Null(_env.Manager.Attach(NetworkMode.Parse("none", "kapsel0"), "inst-none", NetworkNamespaceRef.FromFd(fd))); }
        finally { Kapsel.Linux.Interop.FileCalls.Close(fd); }
        using var inside = RtNetlink.OpenInNamespace(ns.Path);
        var links = inside.ListLinks();
        Assert.Equal(["lo"], links.Select(l => l.Name));
        Assert.True(links[0].IsUp);
        Assert.Empty(_env.Store.ListLeases());

        var host = NetworkMode.Parse("host", "kapsel0");
        Assert.False(host.NeedsNamespace);
        Assert.Null(_env.Manager.Attach(host, "inst-host", null));
        Assert.Empty(_env.Store.ListNetworks()); // neither mode made a network
    }

    [Fact]
    public void InternalNetworkHasNoMasqueradeNoDefaultRouteAndNoWayOut()
    {
        var open = _env.Manager.Create(_env.UniqueName("open"), NetworkTestEnvironment.NewSubnet());
        var closed = _env.Manager.Create(_env.UniqueName("closed"), NetworkTestEnvironment.NewSubnet(), @internal: true);
        var snapshot = _env.Manager.Firewall.Snapshot();
        Assert.Contains(snapshot.Elements, e => e.Map == "masq" && e.Target == NftFirewall.PostChain(open.Id) && e.Key == open.Subnet.ToString());
        Assert.DoesNotContain(snapshot.Elements, e => e.Map == "masq" && e.Key == closed.Subnet.ToString());
        Assert.DoesNotContain(NftFirewall.PostChain(closed.Id), snapshot.Chains);
        var text = Netlink.Shell.Run("nft", "list", "table", "inet", _env.Manager.Options.TableName).Stdout;
        // One masquerade for the open network; the other is the base chain's for loopback-published ports.
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(text, "masquerade").Count);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, @"ip saddr 127\.0\.0\.0/8 oifname .* masquerade"));

        var (ns1, ns2, nsOpen) = (_env.Namespace(), _env.Namespace(), _env.Namespace());
        var c1 = _env.Connect(closed.Name, "i1", ns1);
        var c2 = _env.Connect(closed.Name, "i2", ns2);
        var o = _env.Connect(open.Name, "o", nsOpen);
        Assert.Null(c1.Gateway);
        using (var inside = RtNetlink.OpenInNamespace(ns1.Path))
            Assert.DoesNotContain(inside.ListRoutes(AddressFamily.InterNetwork), r => r.IsDefault);
        Ping(ns1, c2.IPAddress, expect: true);  // inside the internal network: fine
        Ping(ns1, closed.Gateway, expect: true); // the gateway (DNS) is reachable
        Ping(nsOpen, c1.IPAddress, expect: false);
        Assert.Throws<NetworkException>(() => _env.Manager.Publish(c1, [Kapsel.Network.Ports.PortMapping.Parse("18081:80")]));
    }

    [Fact]
    public void DefaultNetworkIsCreatedOnFirstUseFromThePool()
    {
        var ns = _env.Namespace();
        var a = _env.Connect("kapsel0", "first", ns);
        var net = _env.Manager.Get("kapsel0");
        Assert.Equal(_env.Manager.Options.Pool, net.Subnet);
        Assert.Equal(Kapsel.Network.Ipam.Ipv4.Host(net.Subnet, 1), net.Gateway);
        Assert.Equal(RecordState.Ready, net.State);
        Ping(ns, net.Gateway, expect: true);
        Assert.Equal(1, _env.Manager.Disconnect("kapsel0", "first"));
        Assert.Empty(_env.Store.ListLeases());
        _env.Manager.Delete("kapsel0");
        Assert.Empty(_env.OurLinks());
        Assert.DoesNotContain(_env.Manager.Firewall.Snapshot().Chains, c => c.Contains(net.Id));
    }

    private static void Ping(NamedNetworkNamespace ns, IPAddress target, bool expect)
    {
        var r = NetworkTestEnvironment.Exec(ns, "ping", "-c", "1", "-W", expect ? "3" : "1", target.ToString());
        Assert.True((r.ExitCode == 0) == expect, $"ping {target} from {ns.Name}: expected {(expect ? "reply" : "no reply")}: {r.Stdout}{r.Stderr}");
    }

    private long DropCounter(string networkId)
    {
        var json = Netlink.Shell.Run("nft", "-j", "list", "chain", "inet", _env.Manager.Options.TableName, NftFirewall.OutChain(networkId)).Stdout;
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        long packets = 0;
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
            if (item.TryGetProperty("rule", out var rule))
                foreach (var expr in rule.GetProperty("expr").EnumerateArray())
                    if (expr.TryGetProperty("counter", out var c)) packets += c.GetProperty("packets").GetInt64();
        return packets;
    }

    private static void TcpRoundTrip(NamedNetworkNamespace serverNs, NamedNetworkNamespace clientNs, IPAddress serverIp)
    {
        using var listener = InNamespace(serverNs, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7001));
        listener.Listen(1);
        using var client = InNamespace(clientNs, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(new IPEndPoint(serverIp, 7001));
        using var accepted = listener.Accept();
        client.Send("ping"u8);
        var buffer = new byte[16];
        var n = accepted.Receive(buffer);
        accepted.Send(buffer.AsSpan(0, n));
        n = client.Receive(buffer);
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
    }

    private static void UdpRoundTrip(NamedNetworkNamespace serverNs, NamedNetworkNamespace clientNs, IPAddress serverIp)
    {
        using var server = InNamespace(serverNs, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Any, 7002));
        using var client = InNamespace(clientNs, SocketType.Dgram, ProtocolType.Udp);
        client.ReceiveTimeout = server.ReceiveTimeout = 3000;
        client.SendTo("dgram"u8, new IPEndPoint(serverIp, 7002));
        var buffer = new byte[16];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var n = server.ReceiveFrom(buffer, ref from);
        server.SendTo(buffer.AsSpan(0, n), from);
        n = client.Receive(buffer);
        Assert.Equal("dgram", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
    }

    internal static Socket InNamespace(NamedNetworkNamespace ns, SocketType type, ProtocolType protocol)
    {
        var fd = ns.OpenFd();
        try { return NamespacedSocket.Create(fd, AddressFamily.InterNetwork, type, protocol); }
        finally { Kapsel.Linux.Interop.FileCalls.Close(fd); }
    }
}

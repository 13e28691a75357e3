using System.Net;
using System.Net.Sockets;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Tests.Netlink;

/// <summary>Bridge + veth into a network namespace, real traffic on the test's own subnet.</summary>
public sealed class NamespaceTests : IDisposable
{
    private readonly TestNetwork _net = new();
    private readonly RtNetlink _rtnl = RtNetlink.Open();

    public void Dispose()
    {
        _rtnl.Dispose();
        _net.Dispose();
    }

    [Fact]
    public void ContainerStyleWiringPingsTheBridge()
    {
        var ns = _net.Namespace();
        var bridge = _net.LinkName();
        var hostSide = _net.LinkName();
        var peer = _net.LinkName();

        _rtnl.CreateBridge(bridge);
        _rtnl.AddAddress(bridge, InterfaceAddress.Parse($"{_net.Ip(1)}/24"));
        _rtnl.SetUp(bridge);
        _rtnl.CreateVeth(hostSide, peer);
        _rtnl.SetMaster(hostSide, bridge);
        _rtnl.SetUp(hostSide);
        var nsFd = ns.OpenFd();
        try { _rtnl.MoveToNamespace(peer, NetworkNamespaceRef.FromFd(nsFd)); }
        finally { FileCalls.Close(nsFd); }
        Assert.Null(_rtnl.FindLink(peer));

        using var inside = RtNetlink.OpenInNamespace(ns.Path);
        inside.BringUpLoopback();
        inside.AddAddress(peer, InterfaceAddress.Parse($"{_net.Ip(2)}/24"));
        inside.SetUp(peer);
        inside.AddRoute(Route.Default(IPAddress.Parse(_net.Ip(1))));

        var before = _rtnl.GetLink(hostSide).Statistics!;
        var ping = Ping(ns.Name, _net.Ip(1));
        Assert.True(ping.ExitCode == 0, ping.Stdout + ping.Stderr);
        var after = _rtnl.GetLink(hostSide).Statistics!;
        Assert.True(after.RxPackets > before.RxPackets && after.TxPackets > before.TxPackets, $"{before} → {after}");
        Assert.True(after.RxBytes > before.RxBytes && after.TxBytes > before.TxBytes);
        var peerStats = inside.GetLink(peer).Statistics!;
        Assert.True(peerStats.TxPackets > 0 && peerStats.RxPackets > 0);

        // The namespace's view, cross-checked with ip.
        var lo = inside.GetLink("lo");
        Assert.True(lo.IsUp);
        Assert.Contains(inside.ListAddresses("lo"), a => a.Address.ToString() == "127.0.0.1/8");
        var links = inside.ListLinks();
        Assert.Equal(new[] { "lo", peer }.Order(), links.Select(l => l.Name).Order());
        Assert.Equal(_rtnl.GetLink(bridge).Index, _rtnl.GetLink(hostSide).MasterIndex);

        var ipAddr = Shell.IpJson(ns.Name, "addr", "show", "dev", peer)[0].GetProperty("addr_info").EnumerateArray()
            .Where(a => a.GetProperty("family").GetString() == "inet")
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}");
        var mine = inside.ListAddresses(peer, AddressFamily.InterNetwork).Select(a => a.Address.ToString());
        Assert.Equal(ipAddr, mine);

        var routes = inside.ListRoutes(AddressFamily.InterNetwork);
        Assert.Contains(routes, r => r.IsDefault && r.Gateway!.ToString() == _net.Ip(1));
        Assert.Contains(routes, r => r.Destination?.ToString() == $"10.213.{_net.Subnet}.0/24" && r.Gateway is null);
        var ipRoutes = Shell.IpJson(ns.Name, "-4", "route", "show").EnumerateArray()
            .Select(r => r.GetProperty("dst").GetString() == "default" ? "default" : r.GetProperty("dst").GetString()).Order();
        Assert.Equal(ipRoutes, routes.Select(r => r.IsDefault ? "default" : RouteDst(r.Destination!.Value)).Order());
    }

    [Fact]
    public void VethPeerIsBornInsideANamespaceGivenByFd()
    {
        var ns = _net.Namespace();
        var host = _net.LinkName();
        var peer = _net.LinkName();
        var fd = ns.OpenFd();
        try { _rtnl.CreateVeth(host, peer, NetworkNamespaceRef.FromFd(fd)); }
        finally { FileCalls.Close(fd); }

        Assert.Null(_rtnl.FindLink(peer));
        Assert.Equal("veth", _rtnl.GetLink(host).Kind);
        using var inside = RtNetlink.OpenInNamespace(ns.Path);
        Assert.Equal("veth", inside.GetLink(peer).Kind);
        Assert.Equal(peer, Shell.IpJson(ns.Name, "link", "show", "dev", peer)[0].GetProperty("ifname").GetString());
    }

    [Fact]
    public void VethPeerIsBornInsideANamespaceGivenByPidAndMovedBack()
    {
        using var process = SpawnSleeperInNewNetns();
        try
        {
            var host = _net.LinkName();
            var peer = _net.LinkName();
            _rtnl.CreateVeth(host, peer, NetworkNamespaceRef.FromPid(process.Pid));
            using var inside = RtNetlink.OpenInNamespace($"/proc/{process.Pid}/ns/net");
            Assert.NotNull(inside.FindLink(peer));
            Assert.Null(_rtnl.FindLink(peer));

            // Back into the host namespace, by our own pid.
            inside.MoveToNamespace(peer, NetworkNamespaceRef.FromPid(Environment.ProcessId));
            Assert.Null(inside.FindLink(peer));
            Assert.NotNull(_rtnl.FindLink(peer));
        }
        finally
        {
            ProcessCalls.PidfdSendSignal(process.PidFd, ProcessCalls.SIGKILL);
            process.Wait();
        }
    }

    [Fact]
    public void OpeningInANamespaceLeavesEveryThreadInOurs()
    {
        var ns = _net.Namespace();
        var own = new FileInfo("/proc/self/ns/net").LinkTarget;
        for (var i = 0; i < 20; i++)
        {
            using var inside = RtNetlink.OpenInNamespace(ns.Path);
            Assert.Equal(["lo"], inside.ListLinks().Select(l => l.Name).ToArray());
            Assert.False(inside.GetLink("lo").IsUp); // fresh namespace: lo down until someone brings it up
        }
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            string? target;
            try { target = new FileInfo($"{task}/ns/net").LinkTarget; }
            catch (IOException) { continue; } // the thread ended meanwhile
            if (target is null) continue;         // an exiting thread: its namespaces are gone already
            Assert.Equal(own, target);
        }
        Assert.NotNull(_rtnl.FindLink("lo"));
    }

    [Fact]
    public void OpeningInABadNamespaceFdNamesSetns()
    {
        var fd = FileCalls.Open("/proc/self/ns/uts", FileCalls.O_RDONLY); // not a network namespace
        try
        {
            var e = Assert.Throws<Kapsel.Linux.SyscallException>(() => RtNetlink.OpenInNamespace(fd));
            Assert.StartsWith("setns(", e.Call);
            Assert.Equal(Kapsel.Linux.Errnos.EINVAL, e.Errno);
        }
        finally { FileCalls.Close(fd); }
    }

    private static SpawnedProcess SpawnSleeperInNewNetns()
    {
        using var plan = new SpawnPlan { CloneFlags = NamespaceCalls.CLONE_NEWNET };
        plan.CloseOnExecFrom(3).Execve("/bin/sleep", ["sleep", "60"], []);
        var child = Spawner.Spawn(plan);
        child.WaitForExec();
        return child;
    }

    private static Shell.Result Ping(string netns, string address)
    {
        // A fresh port may need a moment before the first ARP exchange gets through.
        Shell.Result result = null!;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            result = Shell.Run("ip", "netns", "exec", netns, "busybox", "ping", "-c1", "-W1", address);
            if (result.ExitCode == 0) break;
        }
        return result;
    }

    private static string RouteDst(IPNetwork network) =>
        network.PrefixLength == 32 ? network.BaseAddress.ToString() : network.ToString();
}

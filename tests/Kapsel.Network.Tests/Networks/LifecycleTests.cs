using System.Diagnostics;
using Kapsel.Network.Firewall;
using Kapsel.Network.Networks;
using Kapsel.Network.Ports;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Kapsel.Network.Tests.Networks;

/// <summary>Teardown leaves nothing; bad input is refused cleanly; prune finds what a crash left.</summary>
public sealed class LifecycleTests(ITestOutputHelper output) : IDisposable
{
    private readonly NetworkTestEnvironment _env = new(o => o with { PruneGrace = TimeSpan.Zero });

    public void Dispose() => _env.Dispose();

    [Fact]
    public void TwoHundredAttachDetachCyclesLeaveNoVethsRulesOrLeases()
    {
        var net = _env.Manager.Create(_env.UniqueName("loop"), NetworkTestEnvironment.NewSubnet());
        var ns = _env.Namespace();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            var a = _env.Connect(net.Name, $"c{i}", ns);
            if (i % 20 == 0) _env.Manager.Publish(a, [PortMapping.Parse($"{20000 + i}:80")], userlandForwarder: false);
            Assert.Equal(1, _env.Manager.Disconnect(net.Name, $"c{i}"));
        }
        output.WriteLine($"200 connect/disconnect cycles: {clock.ElapsedMilliseconds} ms ({clock.ElapsedMilliseconds / 200.0:F1} ms/cycle)");
        Assert.Equal([net.Bridge], _env.OurLinks());
        Assert.Empty(_env.Store.ListLeases());
        Assert.Empty(_env.Manager.Firewall.Snapshot().Rules);
        using (var inside = Kapsel.Linux.Netlink.RtNetlink.OpenInNamespace(ns.Path))
            Assert.Equal(["lo"], inside.ListLinks().Select(l => l.Name));
        _env.Manager.Delete(net.Name);
        Assert.Empty(_env.OurLinks());
        var snapshot = _env.Manager.Firewall.Snapshot();
        Assert.Empty(snapshot.Elements);
        Assert.DoesNotContain(snapshot.Chains, c => c.StartsWith("n-"));
    }

    [Fact]
    public void BadInputIsRefusedWithOneLineErrorsAndNothingHalfMade()
    {
        var m = _env.Manager;
        var subnet = NetworkTestEnvironment.NewSubnet();
        var first = m.Create(_env.UniqueName("first"), subnet);
        var linksBefore = _env.OurLinks();

        void Refused(Action action, string expected)
        {
            var e = Assert.Throws<NetworkException>(action);
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            output.WriteLine(e.Message);
        }
        Refused(() => m.Create("bad1", "10.213.300.0/24"), "invalid subnet");
        Refused(() => m.Create("bad2", "banana"), "invalid subnet");
        Refused(() => m.Create("bad3", subnet.Replace(".0/24", ".1/24")), "host bits are set");
        Refused(() => m.Create("bad4", subnet.Replace(".0/24", ".128/25")), $"overlaps network \"{first.Name}\"");
        Refused(() => m.Create("bad5", NetworkTestEnvironment.NewSubnet(), gateway: "10.99.99.1"), "is not a host address of subnet");
        Refused(() => m.Create("bad6", "10.213.0.0/16"), "overlaps network");
        Refused(() => m.Create(first.Name, NetworkTestEnvironment.NewSubnet()), "already exists");
        Refused(() => m.Create("bad name!"), "invalid network name");
        Refused(() => m.Create("none"), "invalid network name");
        Refused(() => m.Create("bad7", ipv6Subnet: "fd00::/64"), "not supported");
        var hostRoute = HostRouteSubnet();
        if (hostRoute is not null) Refused(() => m.Create("bad8", hostRoute), "overlaps host route");
        Refused(() => m.Get("no-such-net"), "network \"no-such-net\" not found");
        Refused(() => m.Disconnect("no-such-net", "x"), "not found");
        var ns = _env.Namespace();
        Refused(() => _env.Connect("no-such-net", "x", ns), "network \"no-such-net\" not found");
        Refused(() => PortMapping.Parse("80"), "expected [IP:]HOST:CONTAINER");
        Refused(() => PortMapping.Parse("99999:80"), "is not a port");
        Refused(() => PortMapping.Parse("8080:80/sctp"), "is not tcp or udp");
        Refused(() => PortMapping.Parse("1.2.3:8080:80"), "host address \"1.2.3\" is not an IPv4 address");

        Assert.Equal([first.Name], m.List().Select(n => n.Name));
        Assert.Equal(linksBefore, _env.OurLinks());
        Assert.Empty(_env.Store.ListLeases());
        Assert.Equal([first.Id], NftFirewall.NetworkIds(m.Firewall.Snapshot()));
    }

    [Fact]
    public void PruneRemovesWhatACrashLeftBehind()
    {
        var m = _env.Manager;
        var kept = m.Create(_env.UniqueName("kept"), NetworkTestEnvironment.NewSubnet());
        var lost = m.Create(_env.UniqueName("lost"), NetworkTestEnvironment.NewSubnet());
        var (ns1, ns2, ns3) = (_env.Namespace(), _env.Namespace(), _env.Namespace());
        var keptAttachment = _env.Connect(kept.Name, "kept", ns1);
        var lostAttachment = _env.Connect(kept.Name, "lost-lease", ns2);
        _env.Connect(lost.Name, "on-lost-net", ns3);
        var tap = m.ConnectTap(lost.Name, "vm");
        m.Publish(lostAttachment, [PortMapping.Parse("20999:80")], userlandForwarder: false);
        m.Publish(keptAttachment, [PortMapping.Parse("20998:80")], userlandForwarder: false);
        Assert.Contains(tap.HostLink, _env.OurLinks());

        // The "crash": the store forgets one network entirely and one lease of the other.
        using (var db = new SqliteConnection($"Data Source={_env.DatabasePath}"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"DELETE FROM net_leases WHERE network = '{lost.Name}' OR id = '{lostAttachment.LeaseId}'; DELETE FROM net_networks WHERE name = '{lost.Name}';";
            cmd.ExecuteNonQuery();
        }
        // And an attachment whose namespace died before it could be disconnected.
        var ns4 = _env.Namespace();
        var dead = _env.Connect(kept.Name, "dead", ns4);
        Kapsel.Linux.Netlink.NamedNetworkNamespace.Delete(ns4.Name);
        // The kernel destroys a released namespace (and its veths) asynchronously.
        for (var i = 0; i < 100 && File.Exists($"/sys/class/net/{dead.HostLink}/ifindex"); i++) Thread.Sleep(50);

        var report = m.Prune();
        output.WriteLine(report.ToString());
        Assert.Contains(lost.Bridge, report.Links);
        Assert.Contains(lostAttachment.HostLink, report.Links);
        Assert.Contains(tap.HostLink, report.Links);
        Assert.Contains($"network {lost.Id}", report.RuleSets);
        Assert.Contains($"ports of {lostAttachment.LeaseId}", report.RuleSets);
        Assert.Single(report.Leases);

        Assert.Equal(new[] { kept.Bridge, keptAttachment.HostLink }.Order(), _env.OurLinks().Order());
        Assert.Equal([keptAttachment.LeaseId], _env.Store.ListLeases().Select(l => l.Id));
        var snapshot = m.Firewall.Snapshot();
        Assert.Equal([kept.Id], NftFirewall.NetworkIds(snapshot));
        Assert.Equal([keptAttachment.LeaseId], NftFirewall.PortRuleOwners(snapshot));
        Assert.DoesNotContain(snapshot.Elements, e => e.Target.Contains(lost.Id));
        Assert.DoesNotContain(dead.LeaseId, _env.Store.ListLeases().Select(l => l.Id));

        Assert.True(m.Prune().IsEmpty); // and a second prune finds nothing
    }

    [Fact]
    public void ConcurrentStoresNeverHandOutOneAddressTwice()
    {
        var net = _env.Store.AddNetwork("conc", _ => new NetworkRecord("conc", "c0ffee00", System.Net.IPNetwork.Parse("10.213.0.0/22"),
            System.Net.IPAddress.Parse("10.213.0.1"), "xx-none", false, RecordState.Ready, DateTimeOffset.UtcNow));
        var addresses = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, worker =>
        {
            using var store = new SqliteNetworkStore(_env.DatabasePath); // a separate connection, as another process would have
            for (var i = 0; i < 50; i++)
            {
                var lease = store.AddLease("conc", taken =>
                {
                    var address = Kapsel.Network.Ipam.AddressPicker.Pick(net.Subnet, net.Gateway, taken, "conc");
                    return new LeaseRecord(Guid.NewGuid().ToString("N")[..8], "conc", $"w{worker}-{i}", $"w{worker}-{i}", address,
                        "02:00:00:00:00:00", $"l{worker}-{i}", AttachmentKind.Veth, RecordState.Ready, DateTimeOffset.UtcNow);
                });
                addresses.Add(lease.Address.ToString());
            }
        });
        Assert.Equal(200, addresses.Count);
        Assert.Equal(200, addresses.Distinct().Count());
        foreach (var lease in _env.Store.ListLeases("conc")) _env.Store.RemoveLease(lease.Id);
        _env.Store.RemoveNetwork("conc");
    }

    private static string? HostRouteSubnet()
    {
        using var rtnl = Kapsel.Linux.Netlink.RtNetlink.Open();
        return Kapsel.Network.Ipam.HostRoutes.Read(rtnl)
            .Select(r => r.Subnet).FirstOrDefault(s => s.PrefixLength is >= 8 and <= 30 && !s.BaseAddress.ToString().StartsWith("10.213."))
            .ToString() is { Length: > 0 } s && s != "0.0.0.0/0" ? s : null;
    }
}

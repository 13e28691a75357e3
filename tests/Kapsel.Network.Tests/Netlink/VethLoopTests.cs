using System.Diagnostics;
using Kapsel.Linux.Netlink;
using Xunit.Abstractions;

namespace Kapsel.Network.Tests.Netlink;

/// <summary>Many veth pairs in a row: nothing may be left behind, and the time is reported.</summary>
public sealed class VethLoopTests(ITestOutputHelper output) : IDisposable
{
    private const int Pairs = 200;
    private readonly TestNetwork _net = new();
    private readonly RtNetlink _rtnl = RtNetlink.Open();

    public void Dispose()
    {
        _rtnl.Dispose();
        _net.Dispose();
    }

    [Fact]
    public void CreatesAndDeletes200VethPairs()
    {
        var pairs = Enumerable.Range(0, Pairs).Select(_ => (Host: _net.LinkName(), Peer: _net.LinkName())).ToList();
        var names = pairs.SelectMany(p => new[] { p.Host, p.Peer }).ToHashSet();

        var clock = Stopwatch.StartNew();
        foreach (var (host, peer) in pairs)
        {
            _rtnl.CreateVeth(host, peer);
            _rtnl.DeleteLink(host);
        }
        var loop = clock.Elapsed;

        Assert.DoesNotContain(_rtnl.ListLinks(), l => names.Contains(l.Name));

        // All up first, then all down: the shape of a busy host.
        clock.Restart();
        foreach (var (host, peer) in pairs) _rtnl.CreateVeth(host, peer);
        var created = clock.Elapsed;
        var listed = _rtnl.ListLinks();
        Assert.Equal(Pairs * 2, listed.Count(l => names.Contains(l.Name)));
        clock.Restart();
        foreach (var (host, _) in pairs) _rtnl.DeleteLink(host);
        var deleted = clock.Elapsed;
        Assert.DoesNotContain(_rtnl.ListLinks(), l => names.Contains(l.Name));

        var report = $"{Pairs} veth pairs: create+delete loop {loop.TotalMilliseconds:F0} ms " +
            $"({loop.TotalMilliseconds / Pairs:F2} ms/pair); batch create {created.TotalMilliseconds:F0} ms, " +
            $"batch delete {deleted.TotalMilliseconds:F0} ms";
        output.WriteLine(report);
        Console.WriteLine(report);
    }

    [Fact]
    public void ComparesWithIpForTwentyPairs()
    {
        var pairs = Enumerable.Range(0, 20).Select(_ => (Host: _net.LinkName(), Peer: _net.LinkName())).ToList();
        var clock = Stopwatch.StartNew();
        foreach (var (host, peer) in pairs)
        {
            Shell.Run("ip", "link", "add", host, "type", "veth", "peer", "name", peer).EnsureSuccess("ip link add");
            Shell.Run("ip", "link", "delete", host).EnsureSuccess("ip link delete");
        }
        var report = $"20 veth pairs via `ip` processes: {clock.Elapsed.TotalMilliseconds / 20:F2} ms/pair";
        output.WriteLine(report);
        Console.WriteLine(report);
    }
}

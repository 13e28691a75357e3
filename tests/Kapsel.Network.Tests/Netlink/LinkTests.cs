using System.Net.NetworkInformation;
using System.Text.Json;
using Kapsel.Linux;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Tests.Netlink;

/// <summary>Links in the host namespace, cross-checked with `ip -j link`.</summary>
public sealed class LinkTests : IDisposable
{
    private readonly TestNetwork _net = new();
    private readonly RtNetlink _rtnl = RtNetlink.Open();

    public void Dispose()
    {
        _rtnl.Dispose();
        _net.Dispose();
    }

    [Fact]
    public void CreatesBridgeAndListsItLikeIp()
    {
        var bridge = _net.LinkName();
        _rtnl.CreateBridge(bridge, mtu: 1400);

        var link = _rtnl.GetLink(bridge);
        Assert.Equal("bridge", link.Kind);
        Assert.Equal(1400, link.Mtu);
        Assert.False(link.IsUp);

        var hostSide = _net.LinkName();
        var peer = _net.LinkName();
        _rtnl.CreateVeth(hostSide, peer);

        // Other work on this host may add or remove links between the two snapshots:
        // compare every link both listings hold, and require ours in both.
        var listed = _rtnl.ListLinks();
        var fromIp = Shell.IpJson(null, "-d", "link", "show").EnumerateArray()
            .ToDictionary(j => j.GetProperty("ifname").GetString()!);
        Assert.Contains(listed, l => l.Name == "lo" && l.Kind is null && l.Index == 1);
        foreach (var ours in new[] { bridge, hostSide, peer })
        {
            Assert.Contains(listed, l => l.Name == ours);
            Assert.True(fromIp.ContainsKey(ours));
        }
        var compared = 0;
        foreach (var mine in listed)
        {
            if (!fromIp.TryGetValue(mine.Name, out var j)) continue;
            compared++;
            Assert.Equal(j.GetProperty("ifindex").GetInt32(), mine.Index);
            Assert.Equal(j.GetProperty("mtu").GetInt32(), mine.Mtu);
            Assert.Equal(j.GetProperty("operstate").GetString(), mine.OperState);
            Assert.Equal(j.TryGetProperty("master", out var master) ? master.GetString() : null,
                mine.MasterIndex is { } m ? listed.Single(l => l.Index == m).Name : null);
            if (j.TryGetProperty("address", out var mac) && mine.MacAddress is { } a && a.GetAddressBytes().Length == 6)
                Assert.Equal(mac.GetString(), Mac(a));
            var kind = j.TryGetProperty("linkinfo", out var li) && li.TryGetProperty("info_kind", out var k) ? k.GetString() : null;
            Assert.Equal(kind, mine.Kind);
            if (mine.Name != "lo" && mine.Name != bridge) continue; // only links that surely still exist
            var stats = Shell.IpJson(null, "-s", "link", "show", "dev", mine.Name)[0];
            Assert.True(stats.GetProperty("stats64").GetProperty("rx").GetProperty("bytes").GetUInt64() >= mine.Statistics!.RxBytes);
        }
        Assert.True(compared >= 4);
    }

    [Fact]
    public void ChangesStateMtuMacAndName()
    {
        var name = _net.LinkName();
        var renamed = _net.LinkName();
        _rtnl.CreateBridge(name);
        var mac = PhysicalAddress.Parse("02-AA-BB-CC-DD-01");

        _rtnl.SetMtu(name, 1280);
        _rtnl.SetMacAddress(name, mac);
        _rtnl.Rename(name, renamed);
        _rtnl.SetUp(renamed);

        var link = _rtnl.GetLink(renamed);
        Assert.Equal(1280, link.Mtu);
        Assert.Equal(mac, link.MacAddress);
        Assert.True(link.IsUp);
        Assert.Null(_rtnl.FindLink(name));
        var ip = Shell.IpJson(null, "link", "show", "dev", renamed)[0];
        Assert.Equal("02:aa:bb:cc:dd:01", ip.GetProperty("address").GetString());
        Assert.Contains("UP", ip.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        _rtnl.SetDown(link.Index);
        Assert.False(_rtnl.GetLink(link.Index).IsUp);
        _rtnl.DeleteLink(renamed);
        Assert.Null(_rtnl.FindLink(renamed));
    }

    [Fact]
    public void AttachesAndDetachesBridgePorts()
    {
        var bridge = _net.LinkName();
        var veth = _net.LinkName();
        var peer = _net.LinkName();
        _rtnl.CreateBridge(bridge);
        _rtnl.CreateVeth(veth, peer);
        Assert.Equal("veth", _rtnl.GetLink(peer).Kind);

        _rtnl.SetMaster(veth, bridge);
        var bridgeIndex = _rtnl.GetLink(bridge).Index;
        Assert.Equal(bridgeIndex, _rtnl.GetLink(veth).MasterIndex);
        Assert.Equal(bridge, Shell.IpJson(null, "link", "show", "dev", veth)[0].GetProperty("master").GetString());

        _rtnl.SetBridgePortIsolated(veth, true);
        _rtnl.SetBridgePortHairpin(veth, true);
        Assert.Equal("1", File.ReadAllText($"/sys/class/net/{veth}/brport/isolated").Trim());
        Assert.Equal("1", File.ReadAllText($"/sys/class/net/{veth}/brport/hairpin_mode").Trim());
        _rtnl.SetBridgePortIsolated(veth, false);
        Assert.Equal("0", File.ReadAllText($"/sys/class/net/{veth}/brport/isolated").Trim());

        _rtnl.RemoveMaster(veth);
        Assert.Null(_rtnl.GetLink(veth).MasterIndex);

        _rtnl.DeleteLink(veth);
        Assert.Null(_rtnl.FindLink(peer)); // a veth pair goes as a whole
    }

    [Fact]
    public void DeletingAMissingLinkNamesTheOperationAndEnodev()
    {
        var missing = _net.LinkName();
        var e = Assert.Throws<NetlinkException>(() => _rtnl.DeleteLink(missing));
        Assert.Equal(Errnos.ENODEV, e.Errno);
        Assert.Contains($"delete link \"{missing}\"", e.Message);
        Assert.Contains("ENODEV", e.Message);
    }

    [Fact]
    public void CreatingADuplicateFailsWithEexist()
    {
        var name = _net.LinkName();
        _rtnl.CreateBridge(name);
        var e = Assert.Throws<NetlinkException>(() => _rtnl.CreateBridge(name));
        Assert.Equal(Errnos.EEXIST, e.Errno);
        Assert.Contains($"create bridge \"{name}\"", e.Message);
        Assert.Contains("EEXIST", e.Message);
    }

    [Fact]
    public void ReportsTheKernelsExtendedAckMessage()
    {
        var name = _net.LinkName();
        _rtnl.CreateBridge(name);
        // An MTU below the device minimum is refused with an explanation via NETLINK_EXT_ACK.
        var e = Assert.Throws<NetlinkException>(() => _rtnl.SetMtu(name, 10));
        Assert.Equal(Errnos.EINVAL, e.Errno);
        Assert.False(string.IsNullOrEmpty(e.KernelMessage), e.Message);
        Assert.Contains(e.KernelMessage!, e.Message);
    }

    private static string Mac(PhysicalAddress mac) => string.Join(":", mac.GetAddressBytes().Select(b => b.ToString("x2")));
}

using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Tests.Netlink;

public sealed class TunTapTests : IDisposable
{
    private readonly TestNetwork _net = new();
    private readonly RtNetlink _rtnl = RtNetlink.Open();

    public void Dispose()
    {
        _rtnl.Dispose();
        _net.Dispose();
    }

    [Fact]
    public void TapLivesAsLongAsItsFd()
    {
        var name = _net.LinkName();
        using (var tap = TunTapDevice.Create(name))
        {
            Assert.Equal(name, tap.Name);
            Assert.True(tap.Fd >= 0);
            var link = _rtnl.GetLink(name);
            Assert.Equal("tun", link.Kind);
            Assert.Equal(6, link.MacAddress!.GetAddressBytes().Length); // a tap is an Ethernet device
            Assert.Equal("0x1002", File.ReadAllText($"/sys/class/net/{name}/tun_flags").Trim()); // IFF_TAP|IFF_NO_PI
        }
        Assert.Null(_rtnl.FindLink(name));
    }

    [Fact]
    public void PersistentTapAttachesToABridgeAndIsDeletedByNetlink()
    {
        var name = _net.LinkName();
        var bridge = _net.LinkName();
        Assert.Equal(name, TunTapDevice.CreatePersistent(name, ownerUid: 0));
        Assert.NotNull(_rtnl.FindLink(name));

        _rtnl.CreateBridge(bridge);
        _rtnl.SetMaster(name, bridge);
        Assert.Equal(_rtnl.GetLink(bridge).Index, _rtnl.GetLink(name).MasterIndex);

        _rtnl.DeleteLink(name);
        Assert.Null(_rtnl.FindLink(name));
    }

    [Fact]
    public void TunDeviceIsCreatedFromANamePattern()
    {
        using var tun = TunTapDevice.Create("kt%d", TunTapMode.Tun);
        Assert.StartsWith("kt", tun.Name);
        Assert.DoesNotContain("%", tun.Name);
        Assert.Equal("tun", _rtnl.GetLink(tun.Name).Kind);
        Assert.Null(_rtnl.GetLink(tun.Name).MacAddress); // layer 3: no hardware address
    }
}

using System.Net;
using Kapsel.Network.Ipam;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Tests.Ipam;

/// <summary>Hostile-input item 10: a network may not take loopback, link-local, multicast, reserved or the host's own ranges.</summary>
public sealed class ReservedRangesTests
{
    private static readonly IPNetwork Pool = IPNetwork.Parse("10.87.0.0/16");

    [Theory]
    [InlineData("127.0.0.0/8", "loopback")]
    [InlineData("127.5.0.0/16", "loopback")]
    [InlineData("169.254.0.0/16", "link-local")]
    [InlineData("169.254.10.0/24", "link-local")]
    [InlineData("224.0.0.0/4", "multicast")]
    [InlineData("239.1.2.0/24", "multicast")]
    [InlineData("0.0.0.0/8", "\"this network\"")]
    [InlineData("240.0.0.0/4", "reserved and broadcast")]
    [InlineData("255.255.255.252/30", "reserved and broadcast")]
    [InlineData("64.0.0.0/2", "loopback")] // a wide subnet covering 127/8
    public void ReservedSubnetsAreRefusedInOneLine(string subnet, string range)
    {
        var e = Assert.Throws<NetworkException>(() => SubnetPlanner.Plan(subnet, null, [], Pool, 24));
        Assert.Contains(range, e.Message);
        Assert.StartsWith($"subnet {subnet} overlaps the ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheHostsOwnAddressesAndRoutesAreRefused()
    {
        var used = new List<UsedSubnet>
        {
            new(IPNetwork.Parse("172.16.0.0/30"), "host address 172.16.0.2/30 dev eth0"),
            new(IPNetwork.Parse("192.168.7.0/24"), "host route 192.168.7.0/24 dev wlan0"),
        };
        Assert.Equal("subnet 172.16.0.0/16 overlaps host address 172.16.0.2/30 dev eth0 (172.16.0.0/30)",
            Assert.Throws<NetworkException>(() => SubnetPlanner.Plan("172.16.0.0/16", null, used, Pool, 24)).Message);
        Assert.Contains("host route 192.168.7.0/24 dev wlan0",
            Assert.Throws<NetworkException>(() => SubnetPlanner.Plan("192.168.7.128/25", null, used, Pool, 24)).Message);
    }

    [Fact]
    public void OrdinaryPrivateSubnetsPassAndAPoolNeverYieldsAReservedSlice()
    {
        Assert.Equal("10.99.0.0/24", SubnetPlanner.Plan("10.99.0.0/24", null, [], Pool, 24).Subnet.ToString());
        Assert.Equal("192.168.50.0/24", SubnetPlanner.Plan("192.168.50.0/24", null, [], Pool, 24).Subnet.ToString());
        // A pool that overlaps link-local skips it.
        Assert.Equal("169.255.0.0/16", SubnetPlanner.Plan(null, null, [], IPNetwork.Parse("169.254.0.0/15"), 16).Subnet.ToString());
    }
}

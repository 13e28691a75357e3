using System.Net;
using Kapsel.Network.Ipam;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Tests.Ipam;

public sealed class SubnetPlannerTests
{
    private static readonly IPNetwork Pool = IPNetwork.Parse("10.88.0.0/16");

    [Fact]
    public void TakesTheFirstFreeSliceSkippingNetworksAndHostRoutes()
    {
        var used = new List<UsedSubnet>
        {
            new(IPNetwork.Parse("10.88.0.0/24"), "network \"kapsel0\""),
            new(IPNetwork.Parse("10.88.1.0/25"), "host route 10.88.1.0/25 dev eth1"),
        };
        var (subnet, gateway) = SubnetPlanner.Plan(null, null, used, Pool, 24);
        Assert.Equal("10.88.2.0/24", subnet.ToString());
        Assert.Equal("10.88.2.1", gateway.ToString());
    }

    [Fact]
    public void ExhaustedPoolAndGatewayWithoutSubnetAreErrors()
    {
        var full = new List<UsedSubnet> { new(IPNetwork.Parse("10.0.0.0/8"), "host route 10.0.0.0/8 dev wg0") };
        Assert.Contains("no free /24", Assert.Throws<NetworkException>(() => SubnetPlanner.Plan(null, null, full, Pool, 24)).Message);
        Assert.Contains("--gateway needs --subnet", Assert.Throws<NetworkException>(() => SubnetPlanner.Plan(null, "10.88.0.1", [], Pool, 24)).Message);
    }

    [Theory]
    [InlineData("10.89.0.0/24", "10.89.0.0", "is not a host address")]
    [InlineData("10.89.0.0/24", "10.89.0.255", "is not a host address")]
    [InlineData("10.89.0.0/24", "10.90.0.1", "is not a host address")]
    [InlineData("10.89.0.0/24", "fe80::1", "invalid gateway")]
    [InlineData("10.89.0.0/31", null, "too small")]
    [InlineData("10.89.0.0/33", null, "invalid subnet")]
    [InlineData("fd00::/64", null, "invalid subnet")]
    public void RefusesBadSubnetsAndGateways(string subnet, string? gateway, string expected) =>
        Assert.Contains(expected, Assert.Throws<NetworkException>(() => SubnetPlanner.Plan(subnet, gateway, [], Pool, 24)).Message);

    [Fact]
    public void PicksTheLowestFreeAddressAvoidingTheGateway()
    {
        var subnet = IPNetwork.Parse("10.89.0.0/29");
        var gateway = IPAddress.Parse("10.89.0.2");
        var taken = new HashSet<IPAddress> { IPAddress.Parse("10.89.0.1") };
        Assert.Equal("10.89.0.3", AddressPicker.Pick(subnet, gateway, taken, "n").ToString());
        taken.UnionWith(Enumerable.Range(3, 4).Select(i => IPAddress.Parse($"10.89.0.{i}")));
        Assert.Contains("no free address", Assert.Throws<NetworkException>(() => AddressPicker.Pick(subnet, gateway, taken, "n")).Message);
        Assert.Equal("026B0A590003", AddressPicker.MacFor(IPAddress.Parse("10.89.0.3")).ToString());
    }
}

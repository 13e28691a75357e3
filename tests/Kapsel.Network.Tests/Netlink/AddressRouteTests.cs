using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Kapsel.Linux;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Tests.Netlink;

/// <summary>
/// Addresses and routes, inside a private namespace so the host's routing table is never touched;
/// a veth pair with both ends up gives the links a carrier.
/// </summary>
public sealed class AddressRouteTests : IDisposable
{
    private readonly TestNetwork _net = new();
    private readonly NamedNetworkNamespace _ns;
    private readonly RtNetlink _rtnl;
    private readonly string _link;

    public AddressRouteTests()
    {
        try
        {
            _ns = _net.Namespace();
            _rtnl = RtNetlink.OpenInNamespace(_ns.Path);
            _link = _net.LinkName();
            var peer = _net.LinkName();
            _rtnl.CreateVeth(_link, peer);
            _rtnl.SetUp(_link);
            _rtnl.SetUp(peer);
        }
        catch
        {
            _net.Dispose(); // xunit does not dispose a class whose constructor threw
            throw;
        }
    }

    public void Dispose()
    {
        _rtnl.Dispose();
        _net.Dispose();
    }

    private string V6(int host) => $"fd00:213:{_net.Subnet:x}::{host:x}";

    [Fact]
    public void AddsListsAndDeletesIpv4AndIpv6Addresses()
    {
        var v4 = InterfaceAddress.Parse($"{_net.Ip(1)}/24");
        var v4b = InterfaceAddress.Parse($"{_net.Ip(9)}/32");
        var v6 = InterfaceAddress.Parse($"{V6(1)}/64");
        _rtnl.AddAddress(_link, v4);
        _rtnl.AddAddress(_link, v4b);
        _rtnl.AddAddress(_link, v6, skipDuplicateDetection: true);

        var mine = _rtnl.ListAddresses(_link);
        Assert.Contains(mine, a => a.Address == v4 && a.Scope == 0 && a.Label == _link);
        Assert.Contains(mine, a => a.Address == v6 && !a.IsTentative);
        Assert.Contains(mine, a => a.Address.Address.IsIPv6LinkLocal); // the kernel's own fe80::
        Assert.Equal(IpAddresses(_link).Order(), mine.Select(a => a.Address.ToString()).Order());
        Assert.Equal("10.213." + _net.Subnet + ".255", Shell.IpJson(_ns.Name, "-4", "addr", "show", "dev", _link)[0]
            .GetProperty("addr_info").EnumerateArray().First(a => a.GetProperty("prefixlen").GetInt32() == 24)
            .GetProperty("broadcast").GetString());
        Assert.All(_rtnl.ListAddresses(_link, AddressFamily.InterNetworkV6),
            a => Assert.Equal(AddressFamily.InterNetworkV6, a.Address.Address.AddressFamily));

        var duplicate = Assert.Throws<NetlinkException>(() => _rtnl.AddAddress(_link, v4));
        Assert.Equal(Errnos.EEXIST, duplicate.Errno);

        _rtnl.DeleteAddress(_link, v4);
        _rtnl.DeleteAddress(_link, v6);
        Assert.DoesNotContain(_rtnl.ListAddresses(_link), a => a.Address == v4 || a.Address == v6);
        var missing = Assert.Throws<NetlinkException>(() => _rtnl.DeleteAddress(_link, v4));
        Assert.Equal(99 /* EADDRNOTAVAIL */, missing.Errno);
        Assert.Contains($"delete address {v4}", missing.Message);
    }

    [Fact]
    public void AddsListsAndDeletesRoutes()
    {
        _rtnl.AddAddress(_link, InterfaceAddress.Parse($"{_net.Ip(1)}/25"));
        _rtnl.AddAddress(_link, InterfaceAddress.Parse($"{V6(1)}/64"), skipDuplicateDetection: true);
        var otherSubnet = (_net.Subnet % 254) + 1;

        var defaultV4 = Route.Default(IPAddress.Parse(_net.Ip(126)));
        var onLinkSubnet = Route.ToNetwork(IPNetwork.Parse($"10.213.{_net.Subnet}.128/25"), _link) with { Metric = 50 };
        var onLinkGateway = new Route
        {
            Destination = IPNetwork.Parse($"10.213.{otherSubnet}.0/24"),
            Gateway = IPAddress.Parse($"10.213.{otherSubnet}.1"), // outside the link's subnets
            OutputInterface = _link,
            OnLink = true,
        };
        var defaultV6 = Route.Default(IPAddress.Parse(V6(0xfe)), _link);
        foreach (var r in new[] { defaultV4, onLinkSubnet, onLinkGateway, defaultV6 }) _rtnl.AddRoute(r);

        var index = _rtnl.GetLink(_link).Index;
        var v4 = _rtnl.ListRoutes(AddressFamily.InterNetwork);
        Assert.Contains(v4, r => r.IsDefault && r.Gateway!.ToString() == _net.Ip(126) && r.Protocol == 3 /* boot */);
        Assert.Contains(v4, r => r.Destination?.ToString() == $"10.213.{_net.Subnet}.128/25" && r.Metric == 50
            && r.Scope == 253 /* link */ && r.OutputInterfaceIndex == index);
        Assert.Contains(v4, r => r.Destination?.ToString() == $"10.213.{otherSubnet}.0/24" && (r.Flags & 4) != 0);
        var v6 = _rtnl.ListRoutes(AddressFamily.InterNetworkV6);
        Assert.Contains(v6, r => r.IsDefault && r.Gateway!.ToString() == V6(0xfe));

        Assert.Equal(IpRoutes("-4"), v4.Select(Describe).Order());
        Assert.Equal(IpRoutes("-6"), v6.Select(Describe).Order());
        Assert.Contains(_rtnl.ListRoutes(AddressFamily.InterNetwork, table: null), r => r.Table == 255); // local table

        var duplicate = Assert.Throws<NetlinkException>(() => _rtnl.AddRoute(defaultV4));
        Assert.Equal(Errnos.EEXIST, duplicate.Errno);
        _rtnl.ReplaceRoute(defaultV4 with { Gateway = IPAddress.Parse(_net.Ip(125)) });
        Assert.Contains(_rtnl.ListRoutes(AddressFamily.InterNetwork), r => r.IsDefault && r.Gateway!.ToString() == _net.Ip(125));

        _rtnl.DeleteRoute(new Route { Gateway = IPAddress.Parse(_net.Ip(125)) });
        _rtnl.DeleteRoute(onLinkSubnet);
        _rtnl.DeleteRoute(onLinkGateway);
        _rtnl.DeleteRoute(defaultV6);
        Assert.DoesNotContain(_rtnl.ListRoutes(AddressFamily.InterNetwork), r => r.IsDefault || r.Metric == 50);
        var missing = Assert.Throws<NetlinkException>(() => _rtnl.DeleteRoute(onLinkSubnet));
        Assert.Equal(Errnos.ESRCH, missing.Errno);
        Assert.Contains("delete route", missing.Message);
    }

    private IEnumerable<string> IpAddresses(string link) =>
        Shell.IpJson(_ns.Name, "addr", "show", "dev", link)[0].GetProperty("addr_info").EnumerateArray()
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}");

    /// <summary>`ip route` entries of the main table as "dst gateway": `ip` omits /32 and /128.</summary>
    private IEnumerable<string> IpRoutes(string family) =>
        Shell.IpJson(_ns.Name, family, "route", "show", "table", "main").EnumerateArray()
            .Select(r => $"{r.GetProperty("dst").GetString()} {(r.TryGetProperty("gateway", out var g) ? g.GetString() : "-")}")
            .Order();

    private static string Describe(RouteInfo r)
    {
        var dst = r.Destination is not { } d ? "default"
            : d.PrefixLength == (d.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) ? d.BaseAddress.ToString()
            : d.ToString();
        return $"{dst} {r.Gateway?.ToString() ?? "-"}";
    }
}

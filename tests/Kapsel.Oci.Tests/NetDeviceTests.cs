using System.Net;
using Kapsel.Linux.Netlink;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

/// <summary>
/// linux.netDevices against the real kernel: a host link (one end of a veth pair the test makes,
/// with a link-local address) moved into the container's network namespace, renamed, its address
/// carried over and up; moved back to the host by delete; bad configs refused with nothing moved.
/// </summary>
public sealed class NetDeviceTests
{
    private static readonly InterfaceAddress Address = new(IPAddress.Parse("169.254.77.13"), 32);

    /// <summary>A veth pair on the host: <see cref="Name"/> is the end handed to containers.</summary>
    private sealed class HostLink : IDisposable
    {
        private readonly string _peer;
        public string Name { get; }

        public HostLink()
        {
            var tag = Guid.NewGuid().ToString("N")[..6];
            Name = "knd" + tag;
            _peer = "knp" + tag;
            using var nl = RtNetlink.Open();
            nl.CreateVeth(Name, _peer);
            nl.AddAddress(Name, Address);
            nl.SetUp(Name);
        }

        public void Dispose()
        {
            using var nl = RtNetlink.Open();
            if (nl.FindLink(_peer) is not null) nl.DeleteLink(_peer); // takes the other end with it, wherever it is
        }
    }

    private static bool OnHost(string name)
    {
        using var nl = RtNetlink.Open();
        return nl.FindLink(name) is not null;
    }

    [Fact]
    public void DeviceMovesInRenamedWithItsAddressAndBackOnDelete()
    {
        using var link = new HostLink();
        using var b = new BusyboxBundle(s => s.Linux!.NetDevices = new() { [link.Name] = new NetDeviceSpec { Name = "ctr0" } });
        var pidFile = Path.Combine(b.Dir, "pid");
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "--pid-file", pidFile, "nd1");
        Assert.True(code == 0, err);
        Assert.False(OnHost(link.Name), "the device is still on the host");

        var pid = int.Parse(File.ReadAllText(pidFile));
        using (var inside = RtNetlink.OpenInNamespace($"/proc/{pid}/ns/net"))
        {
            var moved = inside.FindLink("ctr0");
            Assert.NotNull(moved);
            Assert.True(moved!.IsUp, "the moved device is not up");
            Assert.Contains(inside.ListAddresses("ctr0"), a => a.Address == Address);
        }

        Assert.Equal(0, b.Oci("start", "nd1").Code);
        var (dcode, _, derr) = b.Oci("delete", "--force", "nd1");
        Assert.True(dcode == 0, derr);
        Assert.True(OnHost(link.Name), "delete did not move the device back to the host under its own name");
    }

    [Fact]
    public void RunReturnsTheDeviceFromAJoinedNamespaceWhenItDeletes()
    {
        using var link = new HostLink();
        using var netns = NamedNetworkNamespace.Create("kapsel-nd-" + Guid.NewGuid().ToString("N")[..6]);
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces!.Single(n => n.Type == "network").Path = netns.Path;
            s.Linux.NetDevices = new() { [link.Name] = new NetDeviceSpec() };
            s.Process!.Args = ["sh", "-c", $"grep -q {link.Name} /proc/net/dev"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "nd2");
        Assert.True(code == 0, $"the container did not see {link.Name}: exit {code} {err}");
        Assert.True(OnHost(link.Name), "run's delete did not move the device back");
        using var inside = RtNetlink.OpenInNamespace(netns.Path);
        Assert.Null(inside.FindLink(link.Name));
    }

    [Fact]
    public void DeleteOfAStoppedContainerReturnsTheDeviceFromAJoinedNamespace()
    {
        using var link = new HostLink();
        using var netns = NamedNetworkNamespace.Create("kapsel-nd-" + Guid.NewGuid().ToString("N")[..6]);
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces!.Single(n => n.Type == "network").Path = netns.Path;
            s.Linux.NetDevices = new() { [link.Name] = new NetDeviceSpec { Name = "eth7" } };
            s.Process!.Args = ["true"];
        });
        Assert.Equal(0, b.Oci("create", "--bundle", b.Dir, "nd3").Code);
        Assert.Equal(0, b.Oci("start", "nd3").Code);
        for (var i = 0; i < 200 && !b.Oci("state", "nd3").Out.Contains("\"stopped\""); i++) Thread.Sleep(10);
        var (dcode, _, derr) = b.Oci("delete", "nd3");
        Assert.True(dcode == 0, derr);
        Assert.True(OnHost(link.Name), "the device did not come back from the joined namespace");
        using var inside = RtNetlink.OpenInNamespace(netns.Path);
        Assert.Null(inside.FindLink("eth7"));
    }

    [Fact]
    public void NameTakenInsideIsRefusedAndTheDeviceStaysOnTheHost()
    {
        using var link = new HostLink();
        using var netns = NamedNetworkNamespace.Create("kapsel-nd-" + Guid.NewGuid().ToString("N")[..6]);
        using (var inside = RtNetlink.OpenInNamespace(netns.Path)) inside.CreateVeth("eth7", "eth7p");
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces!.Single(n => n.Type == "network").Path = netns.Path;
            s.Linux.NetDevices = new() { [link.Name] = new NetDeviceSpec { Name = "eth7" } };
        });
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "nd6");
        Assert.NotEqual(0, code);
        Assert.Contains("already has a device named \"eth7\"", err);
        Assert.True(OnHost(link.Name), "the device was stranded in the container's namespace");
        Assert.False(Directory.Exists(Path.Combine(b.Root, "nd6")));
    }

    [Fact]
    public void MissingDeviceIsRefusedAndNothingIsLeft()
    {
        using var link = new HostLink();
        using var b = new BusyboxBundle(s => s.Linux!.NetDevices = new()
        {
            [link.Name] = new NetDeviceSpec(),
            ["kapsel-nodev"] = new NetDeviceSpec(),
        });
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "nd4");
        Assert.NotEqual(0, code);
        Assert.Contains("linux.netDevices[\"kapsel-nodev\"]", err);
        Assert.False(Directory.Exists(Path.Combine(b.Root, "nd4")), "state directory left behind");
        Assert.True(OnHost(link.Name), "the device moved before the failure was not moved back");
    }

    [Theory]
    [InlineData("no-netns", "needs a network namespace")]
    [InlineData("bad-name", "must not contain")]
    [InlineData("clash", "two devices would be named")]
    public void InvalidConfigIsRefusedBeforeAnythingMoves(string kind, string expected)
    {
        using var link = new HostLink();
        using var b = new BusyboxBundle(s =>
        {
            switch (kind)
            {
                case "no-netns":
                    s.Linux!.Namespaces!.RemoveAll(n => n.Type == "network");
                    s.Linux.NetDevices = new() { [link.Name] = new NetDeviceSpec() };
                    break;
                case "bad-name":
                    s.Linux!.NetDevices = new() { [link.Name] = new NetDeviceSpec { Name = "eth/0" } };
                    break;
                default:
                    s.Linux!.NetDevices = new() { [link.Name] = new NetDeviceSpec { Name = "eth0" }, ["lo"] = new NetDeviceSpec { Name = "eth0" } };
                    break;
            }
        });
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "nd5");
        Assert.NotEqual(0, code);
        Assert.Contains("linux.netDevices", err);
        Assert.Contains(expected, err);
        Assert.True(OnHost(link.Name));
        Assert.False(Directory.Exists(Path.Combine(b.Root, "nd5")));
    }
}

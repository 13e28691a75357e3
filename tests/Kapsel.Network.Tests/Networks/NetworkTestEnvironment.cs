using System.Diagnostics;
using System.Net;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Netlink;
using Kapsel.Network.Networks;
using Kapsel.Network.Tests.Netlink;

namespace Kapsel.Network.Tests.Networks;

/// <summary>
/// One test's private world: a temp SQLite store, a NetworkManager whose links ("x{hex}b-…",
/// "x{hex}v-…") and nft table ("kapsel-test-{hex}") are unique to this test, named network
/// namespaces, background processes and random 10.213.X.0/24 subnets. Dispose removes all of it
/// — networks, links, the test's own nft table, namespaces, /etc/netns files, processes — and
/// puts net.ipv4.ip_forward back as it was.
/// </summary>
internal sealed class NetworkTestEnvironment : IDisposable
{
    private static readonly HashSet<int> UsedThirdOctets = [];
    private readonly List<string> _namespaces = [];
    private readonly List<Process> _processes = [];
    private readonly bool _forwardingWas = IpForwarding.IsEnabled;
    private readonly string _tag = Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant()[..3];

    public string DatabasePath { get; }
    public SqliteNetworkStore Store { get; }
    public NetworkManager Manager { get; }

    public NetworkTestEnvironment(Func<NetworkOptions, NetworkOptions>? configure = null)
    {
        DatabasePath = Path.Combine(Path.GetTempPath(), $"kapsel-net-test-{_tag}-{Guid.NewGuid():N}.db");
        Store = new SqliteNetworkStore(DatabasePath);
        var options = new NetworkOptions
        {
            LinkPrefix = "x" + _tag,
            TableName = "kapsel-test-" + _tag,
            DefaultNetworkName = "kapsel0",
            Pool = IPNetwork.Parse($"10.213.{NewThirdOctet()}.0/24"),
        };
        Manager = new NetworkManager(Store, configure?.Invoke(options) ?? options);
    }

    /// <summary>A fresh 10.213.X.0/24 no other subnet of this test run uses.</summary>
    public static string NewSubnet() => $"10.213.{NewThirdOctet()}.0/24";

    private static int NewThirdOctet()
    {
        lock (UsedThirdOctets)
            while (true)
            {
                var x = Random.Shared.Next(1, 255);
                if (UsedThirdOctets.Add(x)) return x;
            }
    }

    public string UniqueName(string stem) => $"{stem}-{_tag}{Random.Shared.Next(1000):d3}";

    public NamedNetworkNamespace Namespace()
    {
        var name = "kapsel-test-" + Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant();
        _namespaces.Add(name);
        return NamedNetworkNamespace.Create(name);
    }

    public Attachment Connect(string network, string instanceId, NamedNetworkNamespace ns, ConnectOptions? options = null)
    {
        var fd = ns.OpenFd();
        try { return Manager.Connect(network, instanceId, NetworkNamespaceRef.FromFd(fd), options); }
        finally { FileCalls.Close(fd); }
    }

    /// <summary>Runs busybox inside the namespace (`ip netns exec`, which also binds /etc/netns/NS/* over /etc).</summary>
    public static Shell.Result Exec(NamedNetworkNamespace ns, params string[] busyboxArgs) =>
        Shell.Run("ip", ["netns", "exec", ns.Name, "/bin/busybox", .. busyboxArgs]);

    /// <summary>Starts a long-running command in the namespace; killed at Dispose.</summary>
    public Process Background(NamedNetworkNamespace ns, params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in (string[])["netns", "exec", ns.Name, .. args]) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        _processes.Add(process);
        return process;
    }

    /// <summary>Writes /etc/netns/NS/resolv.conf, which `ip netns exec` mounts over /etc/resolv.conf.</summary>
    public void SetResolvConf(NamedNetworkNamespace ns, string content)
    {
        Directory.CreateDirectory($"/etc/netns/{ns.Name}");
        File.WriteAllText($"/etc/netns/{ns.Name}/resolv.conf", content);
    }

    public IReadOnlyList<string> OurLinks()
    {
        using var rtnl = RtNetlink.Open();
        return rtnl.ListLinks().Select(l => l.Name).Where(n => n.StartsWith(Manager.Options.LinkPrefix, StringComparison.Ordinal)).ToList();
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) { p.Kill(entireProcessTree: true); p.WaitForExit(5000); } } catch (Exception) { }
            p.Dispose();
        }
        foreach (var network in SafeList())
            try { Manager.Delete(network.Name, force: true); } catch (Exception) { }
        foreach (var ns in _namespaces)
        {
            try { NamedNetworkNamespace.Delete(ns); } catch (Exception) { Shell.Run("ip", "netns", "delete", ns); }
            if (Directory.Exists($"/etc/netns/{ns}")) Directory.Delete($"/etc/netns/{ns}", recursive: true);
        }
        if (Directory.Exists("/etc/netns") && !Directory.EnumerateFileSystemEntries("/etc/netns").Any())
            try { Directory.Delete("/etc/netns"); } catch (IOException) { }
        foreach (var link in OurLinks()) Shell.Run("ip", "link", "delete", link);
        try { Manager.Firewall.DeleteTable(); } catch (Exception) { Shell.Run("nft", "delete", "table", "inet", Manager.Options.TableName); }
        if (IpForwarding.IsEnabled != _forwardingWas) IpForwarding.Set(_forwardingWas);
        Manager.Dispose();
        Store.Dispose();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(DatabasePath + suffix);
    }

    private IReadOnlyList<NetworkRecord> SafeList()
    {
        try { return Store.ListNetworks(); } catch (Exception) { return []; }
    }
}

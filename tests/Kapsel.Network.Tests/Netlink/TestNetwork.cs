using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Tests.Netlink;

/// <summary>
/// Names and owns what one test creates — interfaces (prefix "kt"), named network namespaces
/// (prefix "kapsel-test-") and a private 10.213.X.0/24 subnet — and removes all of it on Dispose,
/// whatever state the test left it in.
/// </summary>
internal sealed class TestNetwork : IDisposable
{
    private readonly List<string> _links = [];
    private readonly List<string> _namespaces = [];

    /// <summary>Third octet of this test's 10.213.X.0/24.</summary>
    public int Subnet { get; } = Random.Shared.Next(1, 255);

    public string Ip(int host) => $"10.213.{Subnet}.{host}";

    /// <summary>A fresh interface name ("kt" + 8 hex = 10 bytes), removed at the end if it exists.</summary>
    public string LinkName()
    {
        var name = "kt" + Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant();
        _links.Add(name);
        return name;
    }

    public NamedNetworkNamespace Namespace()
    {
        var name = "kapsel-test-" + Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant();
        _namespaces.Add(name);
        return NamedNetworkNamespace.Create(name);
    }

    public void Dispose()
    {
        // Namespaces first: destroying one takes its interfaces (and their veth peers) with it.
        foreach (var ns in _namespaces)
        {
            try { NamedNetworkNamespace.Delete(ns); }
            catch { Shell.Run("ip", "netns", "delete", ns); }
        }
        foreach (var link in _links)
            if (File.Exists($"/sys/class/net/{link}/ifindex"))
                Shell.Run("ip", "link", "delete", link);
    }
}

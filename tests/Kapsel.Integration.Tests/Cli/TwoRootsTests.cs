using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// Two state roots on one host in the DEFAULT configuration (no per-test link prefix or nft
/// table), as the verification-findings issue asks (items 3 and 8): both make and use networks
/// at once on different subnets, neither's rules or bridges are touched by the other's create,
/// prune or rm, a root deleted by hand stops nobody, and `system check|prune` find and remove
/// what it left. Everything made under the default names is removed in Dispose, also on failure.
/// </summary>
public sealed class TwoRootsTests : IDisposable
{
    private readonly List<string> _roots = [];

    private string NewRoot()
    {
        var root = Directory.CreateTempSubdirectory("kapsel-2roots-").FullName;
        _roots.Add(root);
        var images = Path.Combine(KapselBinary.RepoRoot, ".build/test-images/images");
        if (Directory.Exists(images)) KapselBinary.Exec("cp", ["-a", "--reflink=auto", images, root]);
        return root;
    }

    private static string RootId(string root) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(root.TrimEnd('/')))).ToLowerInvariant()[..12];

    private static Result Kapsel(string root, params string[] args) => KapselBinary.Exec(KapselBinary.Path, ["--root", root, .. args]);

    private static Result Ok(string root, params string[] args)
    {
        var r = Kapsel(root, args);
        Assert.True(r.ExitCode == 0, $"kapsel --root {root} {string.Join(' ', args)}: {r}");
        return r;
    }

    /// <summary>The root's rules without counters (traffic changes those).</summary>
    private static string Rules(string root) => KapselBinary.Exec("nft", ["-s", "list", "table", "inet", "kapsel_" + RootId(root)]).Stdout;

    private static string Subnet(string root, string network) =>
        JsonDocument.Parse(Ok(root, "network", "inspect", network).Stdout).RootElement[0].GetProperty("subnet").GetString()!;

    private static string Bridge(string root, string network) =>
        JsonDocument.Parse(Ok(root, "network", "inspect", network).Stdout).RootElement[0].GetProperty("bridge").GetString()!;

    private static IReadOnlyList<string> LinksOwnedBy(string root) =>
        JsonDocument.Parse(KapselBinary.Exec("ip", ["-j", "-d", "link"]).Stdout).RootElement.EnumerateArray()
            .Where(l => l.TryGetProperty("ifalias", out var a) && a.GetString() == "kapsel:" + RootId(root))
            .Select(l => l.GetProperty("ifname").GetString()!).ToList();

    [Fact]
    public void TwoRootsUseNetworksAtOnceOnDifferentSubnetsAndNeverTouchEachOthersRules()
    {
        var (a, b) = (NewRoot(), NewRoot());
        Ok(a, "network", "create", "shared");
        var rulesA = Rules(a);
        Assert.Contains("n-", rulesA);

        // The same network name in both roots; B's create leaves A's rules as they were.
        Ok(b, "network", "create", "shared");
        Assert.Equal(rulesA, Rules(a));
        // Both used at the same time.
        var runs = new[] { a, b }.Select(root => Task.Run(() =>
            Kapsel(root, "run", "--rm", "--network", "shared", "busybox", "sh", "-c", "ip -4 -o addr show eth0"))).ToArray();
        Task.WaitAll(runs);
        Assert.All(runs, t => Assert.True(t.Result.ExitCode == 0, t.Result.ToString()));
        var (subnetA, subnetB) = (Subnet(a, "shared"), Subnet(b, "shared"));
        Assert.NotEqual(subnetA, subnetB);
        Assert.NotEqual(Bridge(a, "shared"), Bridge(b, "shared"));
        Assert.Contains(subnetA[..^5], runs[0].Result.Stdout); // "10.87.X." of A's subnet in A's instance
        Assert.Contains(subnetB[..^5], runs[1].Result.Stdout);
        Assert.Equal(rulesA, Rules(a));

        // B's prune and rm leave A's bridge and rules alone.
        Ok(b, "network", "rm", "shared");
        Ok(b, "network", "prune");
        Ok(b, "system", "prune");
        Assert.Equal(rulesA, Rules(a));
        Assert.Contains(Bridge(a, "shared"), LinksOwnedBy(a));
        Assert.Empty(LinksOwnedBy(b));
        Assert.DoesNotContain(Bridge(a, "shared"), Ok(b, "system", "check").Stdout);
        Ok(a, "run", "--rm", "--network", "shared", "busybox", "true");
    }

    [Fact]
    public void ARootDeletedByHandStopsNoOneAndSystemPruneRemovesWhatItLeft()
    {
        var (gone, alive) = (NewRoot(), NewRoot());
        Ok(gone, "run", "--rm", "busybox", "true"); // its default network: bridge, route, table
        Ok(alive, "network", "create", "keep");
        var rulesAlive = Rules(alive);
        var goneBridge = Bridge(gone, "kapsel0");
        var goneSubnet = Subnet(gone, "kapsel0");
        KapselBinary.Exec("rm", ["-rf", gone]);

        // A new root's first run is not stopped by the leftovers, and avoids their subnet.
        var fresh = NewRoot();
        Ok(fresh, "run", "--rm", "busybox", "true");
        Assert.NotEqual(goneSubnet, Subnet(fresh, "kapsel0"));

        var check = Ok(fresh, "system", "check").Stdout;
        Assert.Contains($"link {goneBridge}: its root {gone} no longer exists", check);
        Assert.Contains($"nft table kapsel_{RootId(gone)}: its root {gone} no longer exists", check);
        Assert.DoesNotContain(Bridge(alive, "keep"), check);
        Assert.DoesNotContain(Bridge(fresh, "kapsel0"), check);

        var prune = Ok(fresh, "system", "prune").Stdout;
        Assert.Contains($"removed link {goneBridge}", prune);
        Assert.Contains($"removed nft table kapsel_{RootId(gone)}", prune);
        Assert.DoesNotContain(goneBridge, Ok(fresh, "system", "check").Stdout);
        Assert.Empty(LinksOwnedBy(gone));
        Assert.Equal("", Rules(gone));
        Assert.Equal(rulesAlive, Rules(alive));
        Assert.False(File.Exists($"/run/kapsel-roots/{RootId(gone)}"), "the gone root is forgotten once its objects are");
        Ok(alive, "run", "--rm", "--network", "keep", "busybox", "true");
    }

    public void Dispose()
    {
        foreach (var root in _roots)
        {
            if (Directory.Exists(root))
            {
                foreach (var id in Kapsel(root, "ps", "-a", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)) Kapsel(root, "rm", "-f", id);
                var ls = Kapsel(root, "network", "ls", "--format", "json");
                if (ls.ExitCode == 0)
                    foreach (var n in JsonDocument.Parse(ls.Stdout).RootElement.EnumerateArray()) Kapsel(root, "network", "rm", "-f", n.GetProperty("name").GetString()!);
            }
            foreach (var link in LinksOwnedBy(root)) KapselBinary.Exec("ip", ["link", "del", link]);
            KapselBinary.Exec("nft", ["delete", "table", "inet", "kapsel_" + RootId(root)]);
            KapselBinary.Exec("umount", ["-R", "-l", root]);
            KapselBinary.Exec("rm", ["-rf", root]);
            File.Delete($"/run/kapsel-roots/{RootId(root)}");
        }
        foreach (var root in _roots)
        {
            Assert.Empty(LinksOwnedBy(root));
            Assert.Equal("", Rules(root));
            Assert.Empty(HostLeaks.ProcessesMentioning(root));
        }
    }
}

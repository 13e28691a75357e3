using System.Diagnostics;

namespace Kapsel.Integration.Tests;

/// <summary>
/// The published kapsel binary and a private state root per test: every call gets --root, so
/// tests never touch /var/lib/kapsel and can run side by side.
/// </summary>
public sealed class KapselBinary : IDisposable
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Path => Environment.GetEnvironmentVariable("KAPSEL_BIN") ?? System.IO.Path.Combine(RepoRoot, ".build/bin/kapsel");

    public string Root { get; } = Directory.CreateTempSubdirectory("kapsel-it-").FullName;

    /// <summary>
    /// This test's own kernel object names: links "{LinkPrefix}b-…/v-…/t-…" and the nft table
    /// <see cref="NftTable"/>, so tests never meet each other's (or a real installation's) networks.
    /// </summary>
    public string LinkPrefix { get; } = "t" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2)).ToLowerInvariant();
    public string NftTable => "kapsel_" + LinkPrefix;

    public KapselBinary()
    {
        if (!File.Exists(Path))
            throw new InvalidOperationException($"{Path} is missing: build it first with ./kapsel version (test.sh does)");
    }

    public Result Run(params string[] args) => RunWith(null, args);

    public Result RunWith(IDictionary<string, string>? env, params string[] args)
    {
        var all = new Dictionary<string, string>(env ?? new Dictionary<string, string>())
        {
            ["KAPSEL_LINK_PREFIX"] = LinkPrefix,
            ["KAPSEL_NFT_TABLE"] = NftTable,
        };
        return Exec(Path, ["--root", Root, .. args], all);
    }

    /// <summary>Links on the host named with this test's prefix (bridges, veths, taps).</summary>
    public IReadOnlyList<string> HostLinks() =>
        Exec("ip", ["-o", "link"]).Stdout.Split('\n')
            .Select(l => l.Split(':', 3)).Where(p => p.Length == 3).Select(p => p[1].Trim().Split('@')[0])
            .Where(n => n.StartsWith(LinkPrefix, StringComparison.Ordinal)).ToList();

    /// <summary>Rules in this test's nft table that belong to ports or networks (empty when the table is gone).</summary>
    public string NftRuleset() => Exec("nft", ["list", "table", "inet", NftTable]).Stdout;

    /// <summary>Removes every network of this root (the default one included) and the nft table: what a test made must not outlive it.</summary>
    private void RemoveNetworks()
    {
        var ls = Run("network", "ls", "--format", "json");
        if (ls.ExitCode == 0)
            foreach (var name in System.Text.Json.JsonDocument.Parse(ls.Stdout).RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()!))
                Run("network", "rm", "-f", name);
        Exec("nft", ["delete", "table", "inet", NftTable]);
    }

    public static Result Exec(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) { p.StandardInput.Write(stdin); p.StandardInput.Close(); }
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        foreach (var id in Run("ps", "-a", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)) Run("rm", "-f", id);
        RemoveNetworks();
        // Instances are in the test's own root; anything still mounted under it is a test failure
        // that HostLeaks reports, but never leave the directory behind.
        Exec("umount", ["-R", "-l", Root]);
        Directory.Delete(Root, recursive: true);
    }

    private static string FindRepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "Kapsel.slnx"))) dir = System.IO.Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root (Kapsel.slnx) not found");
    }
}

public sealed record Result(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

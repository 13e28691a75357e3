using System.Diagnostics;
using System.Text;

namespace Kapsel.Linux.Host;

/// <summary>
/// The one way Kapsel runs programs of the host (not in new namespaces: that is Spawn's job).
/// Every tool Kapsel uses is registered here with its Debian package; <see cref="Resolve"/> finds
/// it, or installs the package with apt-get on first need (root, KAPSEL_NO_APT unset) with a
/// progress line on stderr; <see cref="Run"/> runs it with a timeout and bounded output.
/// </summary>
public static class HostTools
{
    public static readonly HostTool Nft = new("nft", "nftables", "/usr/sbin/nft", "/sbin/nft");
    public static readonly HostTool Busybox = new("busybox", "busybox-static", "/bin/busybox", "/usr/bin/busybox");
    public static readonly HostTool Debootstrap = new("debootstrap", "debootstrap", "/usr/sbin/debootstrap");
    public static readonly HostTool Unshare = new("unshare", "util-linux", "/usr/bin/unshare", "/bin/unshare");
    public static readonly HostTool Tar = new("tar", "tar", "/usr/bin/tar", "/bin/tar");
    public static readonly HostTool AptGet = new("apt-get", "apt", "/usr/bin/apt-get");

    /// <summary>Every registered tool (`kapsel setup` installs the ones a feature needs).</summary>
    public static IReadOnlyList<HostTool> All { get; } = [Nft, Busybox, Debootstrap, Unshare, Tar];

    /// <summary>Where the "installing …" lines go; the CLI's stderr by default.</summary>
    public static Action<string>? Progress { get; set; } = line => Console.Error.WriteLine($"kapsel: {line}");

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);
    public const int DefaultOutputLimit = 4 << 20;

    private static readonly Lock ResolvedLock = new();
    private static readonly Dictionary<HostTool, string> Resolved = [];

    /// <summary>
    /// The tool's path, installing its package first if none of its paths exists. Throws
    /// <see cref="HostPackageMissingException"/> with a one-line reason when that is not possible.
    /// </summary>
    public static string Resolve(HostTool tool)
    {
        lock (ResolvedLock)
            if (Resolved.TryGetValue(tool, out var known) && File.Exists(known)) return known;
        // Install lines go to stderr as lines of their own (not a caller's transient progress
        // line): installing software on the host is worth a record in the output.
        var path = tool.Find() ?? Install(tool, Progress);
        lock (ResolvedLock) Resolved[tool] = path;
        return path;
    }

    /// <summary>
    /// Runs the tool with <paramref name="args"/> (stdin from <paramref name="stdin"/>, else empty)
    /// and waits at most <paramref name="timeout"/> (then kills it: exit code 137 and a note on
    /// stderr). Each stream keeps its first <paramref name="outputLimit"/> characters; the rest is
    /// read and dropped, so a chatty tool can neither block nor exhaust memory.
    /// </summary>
    public static HostToolResult Run(HostTool tool, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null,
        int outputLimit = DefaultOutputLimit, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(tool, args, environment);
        var stdout = ReadBounded(process.StandardOutput, outputLimit);
        var stderr = ReadBounded(process.StandardError, outputLimit);
        try
        {
            if (stdin is not null) process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        catch (IOException) { /* it exited without reading all of it: its exit code tells */ }
        var limit = timeout ?? DefaultTimeout;
        if (!process.WaitForExit(limit))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            return new HostToolResult(137, stdout.Result, $"Error: {tool.Name} did not finish within {limit.TotalSeconds:0} s and was killed\n{stderr.Result}");
        }
        return new HostToolResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts the tool with redirected stdin/stdout/stderr for callers that stream its output
    /// (debootstrap's progress, tar's archive); they own the process and its streams.
    /// </summary>
    public static Process Start(HostTool tool, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var path = Resolve(tool);
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        try { return Process.Start(info) ?? throw new InvalidOperationException("no process"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new HostPackageMissingException(tool.Package, path, $"it could not be started ({e.Message})");
        }
    }

    private static async Task<string> ReadBounded(StreamReader reader, int limit)
    {
        var kept = new StringBuilder();
        var buffer = new char[8192];
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            if (kept.Length < limit) kept.Append(buffer, 0, Math.Min(n, limit - kept.Length));
        return kept.ToString();
    }

    private static string Install(HostTool tool, Action<string>? progress)
    {
        var wanted = tool.Paths[0];
        if (Environment.GetEnvironmentVariable("KAPSEL_NO_APT") is { Length: > 0 })
            throw new HostPackageMissingException(tool.Package, wanted, "automatic installation is disabled (KAPSEL_NO_APT)");
        if (Interop.ProcessCalls.GetEuid() != 0)
            throw new HostPackageMissingException(tool.Package, wanted, "installing it needs root");
        if (AptGet.Find() is null)
            throw new HostPackageMissingException(tool.Package, wanted, "apt-get is not available on this host");

        progress?.Invoke($"installing {tool.Package} (for {tool.Name}) with apt-get...");
        var result = AptInstall(tool.Package);
        if (result.ExitCode != 0 || tool.Find() is null)
        {
            // The package lists may be missing or stale on a fresh machine: refresh once.
            progress?.Invoke("apt-get update...");
            Apt(["update", "-q"]);
            result = AptInstall(tool.Package);
        }
        if (tool.Find() is { } path)
        {
            progress?.Invoke($"installed {tool.Package}");
            return path;
        }
        var reason = result.ExitCode != 0
            ? $"apt-get install failed (exit {result.ExitCode}): {result.ErrorLine}"
            : $"apt-get installed {tool.Package} but {string.Join(" or ", tool.Paths)} is still absent";
        throw new HostPackageMissingException(tool.Package, wanted, reason);
    }

    // Waits for dpkg's lock (another apt or kapsel installing) instead of failing at once; keeps
    // existing configuration files; never asks.
    private static HostToolResult AptInstall(string package) =>
        Apt(["install", "-y", "-q", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", package]);

    private static HostToolResult Apt(string[] args)
    {
        var env = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        return Run(AptGet, ["-o", "DPkg::Lock::Timeout=300", .. args], timeout: TimeSpan.FromMinutes(15), outputLimit: 64 << 10, environment: env);
    }
}

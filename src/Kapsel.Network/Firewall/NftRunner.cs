using System.Diagnostics;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Firewall;

/// <summary>
/// Runs Debian's `nft` (nftables package): a ruleset script on stdin (`nft -f -`, applied as one
/// atomic transaction — all or nothing), or a JSON listing. The binary runs in the host's
/// namespaces, so plain process creation is fine here.
/// </summary>
internal static class NftRunner
{
    public static string Binary { get; set; } = File.Exists("/usr/sbin/nft") ? "/usr/sbin/nft" : "nft";

    public static void Apply(string script, string what)
    {
        var (code, _, stderr) = Run(["-f", "-"], script);
        if (code != 0)
            throw new NetworkException($"nftables: {what} failed: {FirstErrorLine(stderr)}");
    }

    /// <summary>`nft -j ARGS` output, or null if nft says the object does not exist.</summary>
    public static string? ListJson(params string[] args)
    {
        var (code, stdout, stderr) = Run(["-j", .. args], null);
        if (code == 0) return stdout;
        if (stderr.Contains("No such file or directory", StringComparison.Ordinal)) return null;
        throw new NetworkException($"nftables: nft -j {string.Join(' ', args)} failed: {FirstErrorLine(stderr)}");
    }

    private static (int Code, string Stdout, string Stderr) Run(string[] args, string? stdin)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new NetworkException($"nftables: cannot run {Binary} ({e.Message}); install the nftables package");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null) process.StandardInput.Write(stdin);
            process.StandardInput.Close();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    private static string FirstErrorLine(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(l => l.Contains("Error", StringComparison.Ordinal)) ?? stderr.Trim();
}

using Kapsel.Linux.Host;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Firewall;

/// <summary>
/// Runs Debian's `nft` (nftables package, installed on first need by <see cref="HostTools"/>): a
/// ruleset script on stdin (`nft -f -`, applied as one atomic transaction — all or nothing), or a
/// JSON listing. The binary runs in the host's namespaces, so a plain host-tool run is fine here.
/// </summary>
internal static class NftRunner
{
    public static void Apply(string script, string what)
    {
        var result = Run(["-f", "-"], script);
        if (result.ExitCode != 0)
            throw new NetworkException($"nftables: {what} failed: {result.ErrorLine}");
    }

    /// <summary>`nft -j ARGS` output, or null if nft says the object does not exist.</summary>
    public static string? ListJson(params string[] args)
    {
        var result = Run(["-j", .. args], null);
        if (result.ExitCode == 0) return result.Stdout;
        if (result.Stderr.Contains("No such file or directory", StringComparison.Ordinal)) return null;
        throw new NetworkException($"nftables: nft -j {string.Join(' ', args)} failed: {result.ErrorLine}");
    }

    private static HostToolResult Run(string[] args, string? stdin)
    {
        try { return HostTools.Run(HostTools.Nft, args, stdin ?? "", TimeSpan.FromSeconds(30)); }
        catch (HostPackageMissingException e) { throw new NetworkException($"nftables: {e.Message}", e); }
    }
}

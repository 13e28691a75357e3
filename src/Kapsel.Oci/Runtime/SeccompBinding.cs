using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Runtime;

/// <summary>Compiles linux.seccomp with the Seccomp engine into a program for the spawn plan.</summary>
internal static class SeccompBinding
{
    /// <summary>Marks a note in a warnings list as debug-level.</summary>
    public const string DebugPrefix = "\u0001debug:";

    public static CompiledFilter? Compile(SeccompProfile? profile, List<string> warnings, string field = "linux.seccomp")
    {
        if (profile is null) return null;
        CompiledSeccomp compiled;
        try { compiled = SeccompCompiler.Compile(profile); }
        catch (SeccompProfileException e) { throw new OciException($"config.json: {e.Message}", inner: e); }
        // Unknown syscall names and shadowed rules are normal in Docker's/Podman's profiles (runc logs them at debug level).
        foreach (var w in compiled.Warnings) warnings.Add($"{DebugPrefix}config.json: {field}: {w}");
        if (!compiled.NeedsListener)
        {
            if (!string.IsNullOrEmpty(profile.ListenerPath)) warnings.Add($"config.json: {field}.listenerPath: no rule uses SCMP_ACT_NOTIFY; no agent is contacted");
            return new CompiledFilter(compiled.Program, compiled.Flags);
        }
        if (string.IsNullOrEmpty(profile.ListenerPath))
            throw new OciException($"config.json: {field}.listenerPath: SCMP_ACT_NOTIFY rules need a seccomp agent's socket path");
        if (!profile.ListenerPath.StartsWith('/'))
            throw new OciException($"config.json: {field}.listenerPath: \"{profile.ListenerPath}\" is not an absolute path");
        return new CompiledFilter(compiled.Program, compiled.Flags, profile.ListenerPath, profile.ListenerMetadata);
    }
}

using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Runtime;

/// <summary>Compiles linux.seccomp with the Seccomp engine into a program for the spawn plan.</summary>
internal static class SeccompBinding
{
    public static CompiledFilter? Compile(SeccompProfile? profile, List<string> warnings, string field = "linux.seccomp")
    {
        if (profile is null) return null;
        CompiledSeccomp compiled;
        try { compiled = SeccompCompiler.Compile(profile); }
        catch (SeccompProfileException e) { throw new OciException($"config.json: {e.Message}", inner: e); }
        foreach (var w in compiled.Warnings) warnings.Add($"config.json: {field}: {w}");
        if (compiled.NeedsListener)
            throw new OciException($"config.json: {field}: SCMP_ACT_NOTIFY needs a seccomp listener (listenerPath), which this runtime does not support yet");
        return new CompiledFilter(compiled.Program, compiled.Flags);
    }
}

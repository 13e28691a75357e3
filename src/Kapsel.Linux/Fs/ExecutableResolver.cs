namespace Kapsel.Linux.Fs;

/// <summary>
/// Finds the program to execve inside a container root before spawning (as runc and docker do), so
/// a missing or non-executable program is a clear error up front rather than a dead container. The
/// callers turn the answer into their own errors (the OCI runtime's, the engine's 126/127).
/// </summary>
public static class ExecutableResolver
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public enum Lookup { Missing, Directory, NotExecutable, Executable }

    /// <summary>The value of the last PATH= entry, or null.</summary>
    public static string? PathVariable(IReadOnlyList<string> env)
    {
        for (var i = env.Count - 1; i >= 0; i--)
            if (env[i].StartsWith("PATH=", StringComparison.Ordinal)) return env[i][5..];
        return null;
    }

    /// <summary>
    /// Looks <paramref name="program"/> up the way execvp would. A name with a '/' is probed as is
    /// (relative to <paramref name="cwd"/>) and returned unchanged with what the probe found: the
    /// caller decides whether "missing" is fatal (it may be mounted later). A bare name is searched in
    /// PATH (<see cref="DefaultPath"/> when null): the first executable regular file wins; if none,
    /// NotExecutable when some match was not executable (directories are skipped), else Missing.
    /// </summary>
    public static (string Path, Lookup Result) Find(string program, string? pathVariable, string cwd, Func<string, Lookup> probe)
    {
        if (program.Contains('/'))
            return (program, probe(program.StartsWith('/') ? program : Path.Combine("/", cwd, program)));
        var sawNonExecutable = false;
        foreach (var dir in (pathVariable ?? DefaultPath).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = dir.TrimEnd('/') + "/" + program;
            switch (probe(candidate))
            {
                case Lookup.Executable: return (candidate, Lookup.Executable);
                case Lookup.NotExecutable: sawNonExecutable = true; break;
            }
        }
        return (program, sawNonExecutable ? Lookup.NotExecutable : Lookup.Missing);
    }

    /// <summary>Probes a stack of root directories (overlay order, upper first): the first that has the path answers.</summary>
    public static (string Path, Lookup Result) Find(IReadOnlyList<string> rootLayers, string program, string? pathVariable, string cwd = "/")
    {
        var roots = new RootfsPaths[rootLayers.Count];
        try
        {
            for (var i = 0; i < roots.Length; i++) roots[i] = new RootfsPaths(rootLayers[i]);
            return Find(program, pathVariable, cwd, path =>
            {
                foreach (var root in roots)
                    if (root.Probe(path) is var found and not Lookup.Missing) return found;
                return Lookup.Missing;
            });
        }
        finally
        {
            foreach (var root in roots) root?.Dispose();
        }
    }
}

using Kapsel.Linux.Interop;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// Finds the program to execve inside the container before spawning (as runc does), so a missing
/// or non-executable program is a clear error from `create`/`exec` rather than a dead container.
/// </summary>
internal static class ExecutableResolver
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static string Resolve(RootfsPaths root, string program, IReadOnlyList<string> env, string cwd)
    {
        if (program.Contains('/'))
        {
            var path = program.StartsWith('/') ? program : Path.Combine(cwd, program);
            // Absolute paths may live in a volume mounted later: only reject what we can see is wrong.
            var probe = Probe(root, path);
            if (probe == Kind.NotExecutable) throw new OciException($"exec: \"{program}\": permission denied (not an executable file)", 126);
            if (probe == Kind.Directory) throw new OciException($"exec: \"{program}\": is a directory", 126);
            return program;
        }
        var pathVar = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DefaultPath;
        var sawNonExecutable = false;
        foreach (var dir in pathVar.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = dir.TrimEnd('/') + "/" + program;
            switch (Probe(root, candidate))
            {
                case Kind.Executable: return candidate;
                case Kind.NotExecutable: sawNonExecutable = true; break;
            }
        }
        if (sawNonExecutable) throw new OciException($"exec: \"{program}\": permission denied (found in $PATH but not executable)", 126);
        throw new OciException($"exec: \"{program}\": executable file not found in $PATH ({pathVar})", 127);
    }

    private enum Kind { Missing, Directory, NotExecutable, Executable }

    private static Kind Probe(RootfsPaths root, string path)
    {
        var fd = root.TryOpenPath(path);
        if (fd < 0) return Kind.Missing;
        try
        {
            var proc = $"/proc/self/fd/{fd}";
            if (Directory.Exists(proc)) return Kind.Directory;
            var mode = File.GetUnixFileMode(proc);
            return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0 ? Kind.Executable : Kind.NotExecutable;
        }
        catch (IOException) { return Kind.Missing; }
        finally { FileCalls.Close(fd); }
    }
}

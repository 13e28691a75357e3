using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Fs;

/// <summary>
/// Path lookups inside a container root filesystem from the host, resolved with openat2
/// RESOLVE_IN_ROOT so that symlinks (absolute or "..") can never point outside the rootfs.
/// </summary>
public static class RootfsPaths
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>What a lookup found: nothing, a non-executable file, or an executable regular file.</summary>
    public enum Lookup { Missing, NotExecutable, Executable }

    /// <summary>
    /// Finds <paramref name="command"/> the way execvp would inside the rootfs layers (searched in
    /// order: upper first). A command with a '/' is taken as is. Returns the path to exec inside
    /// the container, or null when nothing in PATH matches.
    /// </summary>
    public static (string? Path, Lookup Result) ResolveExecutable(IReadOnlyList<string> rootLayers, string command, string? pathVariable)
    {
        if (command.Contains('/'))
        {
            var abs = command.StartsWith('/') ? command : "/" + command;
            return (abs, Probe(rootLayers, abs));
        }
        var sawNonExecutable = false;
        foreach (var dir in (pathVariable ?? DefaultPath).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = dir.TrimEnd('/') + "/" + command;
            switch (Probe(rootLayers, candidate))
            {
                case Lookup.Executable: return (candidate, Lookup.Executable);
                case Lookup.NotExecutable: sawNonExecutable = true; break;
            }
        }
        return (null, sawNonExecutable ? Lookup.NotExecutable : Lookup.Missing);
    }

    private static Lookup Probe(IReadOnlyList<string> rootLayers, string pathInRoot)
    {
        foreach (var layer in rootLayers)
        {
            var result = Probe(layer, pathInRoot);
            if (result != Lookup.Missing) return result;
        }
        return Lookup.Missing;
    }

    /// <summary>Looks a path up inside one root directory without leaving it.</summary>
    public static Lookup Probe(string root, string pathInRoot)
    {
        // Exceptions are avoided on purpose: "missing" is the normal answer for most PATH entries.
        int rootFd = -1, fd = -1;
        try
        {
            rootFd = FileCalls.Open(root, FileCalls.O_PATH | FileCalls.O_DIRECTORY);
            fd = FileCalls.TryOpenAt2(rootFd, pathInRoot.TrimStart('/'), FileCalls.O_PATH, FileCalls.RESOLVE_IN_ROOT | FileCalls.RESOLVE_NO_MAGICLINKS);
            if (fd is -Errnos.ENOENT or -Errnos.ENOTDIR or -Errnos.ELOOP) return Lookup.Missing;
            if (fd < 0) throw new SyscallException($"openat2(\"{root}\", \"{pathInRoot}\", RESOLVE_IN_ROOT)", -fd);
            var mode = FileStatus.Mode(fd);
            if ((mode & FileStatus.S_IFMT) != FileStatus.S_IFREG) return Lookup.NotExecutable;
            return (mode & 0x49 /* 0111 */) != 0 ? Lookup.Executable : Lookup.NotExecutable;
        }
        finally
        {
            FileCalls.Close(fd);
            FileCalls.Close(rootFd);
        }
    }
}

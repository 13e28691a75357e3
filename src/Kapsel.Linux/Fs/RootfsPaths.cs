using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Fs;

/// <summary>
/// Resolves container paths to host paths inside a root filesystem without symlink escapes: every
/// lookup goes through openat2(RESOLVE_IN_ROOT), so "/etc/x → /../../host" stays inside the rootfs,
/// and missing directories/files are created relative to a resolved parent fd, never by path.
/// "Missing" is an answer (null, -errno), not an exception: NativeAOT exceptions cost milliseconds.
/// </summary>
public sealed class RootfsPaths : IDisposable
{
    private const ulong ResolveFlags = FileCalls.RESOLVE_IN_ROOT | FileCalls.RESOLVE_NO_MAGICLINKS;
    private int _rootFd;

    /// <summary>The rootfs with symlinks resolved.</summary>
    public string Root { get; }

    public RootfsPaths(string rootfs)
    {
        _rootFd = FileCalls.Open(rootfs, FileCalls.O_PATH | FileCalls.O_DIRECTORY);
        Root = FileCalls.ReadLink($"/proc/self/fd/{_rootFd}");
    }

    public enum Create { Nothing, Directory, File }

    /// <summary>The host path of <paramref name="containerPath"/>, or null when it does not exist and nothing is to be created.</summary>
    public string? Resolve(string containerPath, Create create = Create.Nothing)
    {
        var relative = containerPath.TrimStart('/');
        if (relative.Length == 0) return Root;
        var fd = TryOpen(relative);
        if (fd < 0)
        {
            if (-fd != Errnos.ENOENT || create == Create.Nothing) return fd == -Errnos.ENOENT ? null : throw new SyscallException($"resolve \"{containerPath}\" in the rootfs", -fd);
            fd = MakePath(relative, create);
        }
        try
        {
            var host = FileCalls.ReadLink($"/proc/self/fd/{fd}");
            if (host != Root && !host.StartsWith(Root + "/", StringComparison.Ordinal))
                throw new IOException($"\"{containerPath}\" resolves outside the container's root filesystem");
            return host;
        }
        finally { FileCalls.Close(fd); }
    }

    /// <summary>True when the path exists in the rootfs and is a directory (following symlinks inside the root); null when absent.</summary>
    public bool? IsDirectory(string containerPath)
    {
        var fd = TryOpenPath(containerPath);
        if (fd < 0) return fd is -Errnos.ENOENT or -Errnos.ENOTDIR or -Errnos.ELOOP ? null : throw new SyscallException($"resolve \"{containerPath}\" in the rootfs", -fd);
        try { return (FileStatus.Mode(fd) & FileStatus.S_IFMT) == FileStatus.S_IFDIR; }
        finally { FileCalls.Close(fd); }
    }

    /// <summary>What is at a container path, for <see cref="ExecutableResolver"/>.</summary>
    public ExecutableResolver.Lookup Probe(string containerPath)
    {
        var fd = TryOpenPath(containerPath);
        if (fd is -Errnos.ENOENT or -Errnos.ENOTDIR or -Errnos.ELOOP) return ExecutableResolver.Lookup.Missing;
        if (fd < 0) throw new SyscallException($"openat2(\"{Root}\", \"{containerPath}\", RESOLVE_IN_ROOT)", -fd);
        try
        {
            var mode = FileStatus.Mode(fd);
            return (mode & FileStatus.S_IFMT) switch
            {
                FileStatus.S_IFDIR => ExecutableResolver.Lookup.Directory,
                FileStatus.S_IFREG when (mode & 0x49 /* 0111 */) != 0 => ExecutableResolver.Lookup.Executable,
                _ => ExecutableResolver.Lookup.NotExecutable,
            };
        }
        finally { FileCalls.Close(fd); }
    }

    /// <summary>An O_PATH fd of a container path (symlinks resolved inside the root); throws if absent.</summary>
    public int OpenPath(string containerPath) =>
        FileCalls.OpenAt2(_rootFd, containerPath.TrimStart('/') is { Length: > 0 } r ? r : ".", FileCalls.O_PATH, ResolveFlags);

    /// <summary>Like <see cref="OpenPath"/> but returns -errno.</summary>
    public int TryOpenPath(string containerPath) =>
        TryOpen(containerPath.TrimStart('/') is { Length: > 0 } r ? r : ".");

    private int TryOpen(string relative) => FileCalls.TryOpenAt2(_rootFd, relative, FileCalls.O_PATH, ResolveFlags);

    /// <summary>Creates each missing component under its already resolved parent (mkdirat/openat do not follow the new name's symlinks).</summary>
    private int MakePath(string relative, Create create)
    {
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var prefix = "";
        int fd = -1;
        for (var i = 0; i < parts.Length; i++)
        {
            var parentFd = prefix.Length == 0 ? FileCalls.Open(Root, FileCalls.O_PATH | FileCalls.O_DIRECTORY) : TryOpen(prefix);
            if (parentFd < 0) throw new SyscallException($"resolve \"/{prefix}\" in the rootfs", -parentFd);
            try
            {
                var last = i == parts.Length - 1;
                var current = prefix.Length == 0 ? parts[i] : prefix + "/" + parts[i];
                var existing = TryOpen(current);
                if (existing >= 0)
                {
                    if (last) fd = existing; else FileCalls.Close(existing);
                }
                else if (last && create == Create.File)
                {
                    var created = FileCalls.TryOpenAt(parentFd, parts[i], FileCalls.O_CREAT | FileCalls.O_EXCL | FileCalls.O_NOFOLLOW | FileCalls.O_WRONLY, 0x1a4 /* 0644 */);
                    if (created < 0) throw new SyscallException($"create \"/{current}\" in the rootfs", -created);
                    FileCalls.Close(created);
                    fd = TryOpen(current);
                }
                else
                {
                    var err = FileCalls.MkdirAt(parentFd, parts[i], 0x1ed /* 0755 */);
                    if (err != 0 && err != Errnos.EEXIST) throw new SyscallException($"mkdir \"/{current}\" in the rootfs", err);
                    if (last) fd = TryOpen(current);
                }
                if (last && fd < 0) throw new SyscallException($"resolve \"/{current}\" in the rootfs", -fd);
                prefix = current;
            }
            finally { FileCalls.Close(parentFd); }
        }
        return fd;
    }

    public void Dispose()
    {
        FileCalls.Close(_rootFd);
        _rootFd = -1;
    }
}

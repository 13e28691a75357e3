using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Oci.Interop;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// Resolves container paths to host paths inside the rootfs without symlink escapes: every lookup
/// goes through openat2(RESOLVE_IN_ROOT), so "/etc/x → /../../host" stays inside the rootfs, and
/// missing directories/files are created relative to a resolved parent fd, never by path.
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
        Root = OciCalls.ReadLink($"/proc/self/fd/{_rootFd}");
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
            var host = OciCalls.ReadLink($"/proc/self/fd/{fd}");
            if (host != Root && !host.StartsWith(Root + "/", StringComparison.Ordinal))
                throw new OciException($"\"{containerPath}\" resolves outside the container's root filesystem");
            return host;
        }
        finally { FileCalls.Close(fd); }
    }

    /// <summary>True when the path exists in the rootfs and is a directory (following symlinks inside the root).</summary>
    public bool? IsDirectory(string containerPath)
    {
        var host = Resolve(containerPath);
        if (host is null) return null;
        return Directory.Exists(host);
    }

    /// <summary>An O_PATH fd of a container path (symlinks resolved inside the root); throws if absent.</summary>
    public int OpenPath(string containerPath) =>
        FileCalls.OpenAt2(_rootFd, containerPath.TrimStart('/') is { Length: > 0 } r ? r : ".", FileCalls.O_PATH, ResolveFlags);

    /// <summary>Like <see cref="OpenPath"/> but returns -errno: "missing" is a normal answer on hot paths, and NativeAOT exceptions cost milliseconds.</summary>
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
                    var created = OciCalls.OpenAt(parentFd, parts[i], FileCalls.O_CREAT | FileCalls.O_EXCL | FileCalls.O_NOFOLLOW | FileCalls.O_WRONLY, 0x1a4 /* 0644 */);
                    if (created < 0) throw new SyscallException($"create \"/{current}\" in the rootfs", -created);
                    FileCalls.Close(created);
                    fd = TryOpen(current);
                }
                else
                {
                    var err = OciCalls.MkdirAt(parentFd, parts[i], 0x1ed /* 0755 */);
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

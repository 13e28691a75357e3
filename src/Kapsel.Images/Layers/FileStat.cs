using System.Runtime.InteropServices;
using System.Text;
using Kapsel.Linux;
using Kapsel.Linux.Interop;

namespace Kapsel.Images.Layers;

/// <summary>
/// What a layer writer needs to know about one file, read with statx(AT_SYMLINK_NOFOLLOW) so a
/// symlink is described, never followed; plus its extended attributes (llistxattr/lgetxattr).
/// </summary>
public readonly record struct FileStat(uint Mode, int Uid, int Gid, long Size, ulong Inode, ulong Device, uint Links,
    long MtimeSeconds, uint RdevMajor, uint RdevMinor)
{
    public uint Type => Mode & LayerFs.S_IFMT;
    public uint Permissions => Mode & 0xfff;
    public bool IsDirectory => Type == LayerFs.S_IFDIR;
    public bool IsRegular => Type == LayerFs.S_IFREG;
    public bool IsSymlink => Type == LayerFs.S_IFLNK;
    /// <summary>overlayfs's whiteout: a character device 0/0.</summary>
    public bool IsWhiteout => Type == LayerFs.S_IFCHR && RdevMajor == 0 && RdevMinor == 0;
    public DateTimeOffset Mtime => DateTimeOffset.FromUnixTimeSeconds(MtimeSeconds);

    /// <summary>lstat; null when the path does not exist.</summary>
    public static FileStat? Lstat(string path)
    {
        var r = FileStatCalls.Statx(path, out var st);
        if (r == -Errnos.ENOENT || r == -Errnos.ENOTDIR) return null;
        if (r < 0) throw new SyscallException($"statx(\"{path}\")", -r);
        return st;
    }

    /// <summary>Extended attributes of a path (not following a final symlink), sorted by name.</summary>
    public static SortedDictionary<string, byte[]> Xattrs(string path) => FileStatCalls.ListXattrs(path);
}

internal static unsafe partial class FileStatCalls
{
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, STATX_BASIC_STATS = 0x7ff;

    [LibraryImport(Sys.Libc, EntryPoint = "statx", SetLastError = true)]
    private static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buf);
    [LibraryImport(Sys.Libc, EntryPoint = "llistxattr", SetLastError = true)]
    private static partial nint llistxattr(byte* path, byte* list, nuint size);
    [LibraryImport(Sys.Libc, EntryPoint = "lgetxattr", SetLastError = true)]
    private static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);

    public static int Statx(string path, out FileStat stat)
    {
        stat = default;
        byte* b = stackalloc byte[256];
        fixed (byte* p = Utf8.Z(path))
        {
            if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, b) < 0) return -Marshal.GetLastPInvokeError();
        }
        stat = new FileStat(
            Mode: *(ushort*)(b + 0x1c), Uid: (int)*(uint*)(b + 0x14), Gid: (int)*(uint*)(b + 0x18), Size: *(long*)(b + 0x28),
            Inode: *(ulong*)(b + 0x20), Device: ((ulong)*(uint*)(b + 0x88) << 32) | *(uint*)(b + 0x8c), Links: *(uint*)(b + 0x10),
            MtimeSeconds: *(long*)(b + 0x70), RdevMajor: *(uint*)(b + 0x80), RdevMinor: *(uint*)(b + 0x84));
        return 0;
    }

    public static SortedDictionary<string, byte[]> ListXattrs(string path)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var pathZ = Utf8.Z(path);
        fixed (byte* p = pathZ)
        {
            var size = llistxattr(p, null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is Errnos.ENOTSUP) return result;
                throw new SyscallException($"llistxattr(\"{path}\")", errno);
            }
            if (size == 0) return result;
            var list = new byte[size + 256];
            fixed (byte* l = list)
            {
                size = llistxattr(p, l, (nuint)list.Length);
                if (size < 0) throw new SyscallException($"llistxattr(\"{path}\")", Marshal.GetLastPInvokeError());
            }
            foreach (var name in Encoding.UTF8.GetString(list, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                fixed (byte* n = Utf8.Z(name))
                {
                    var len = lgetxattr(p, n, null, 0);
                    if (len < 0) continue; // vanished, or not readable in this namespace
                    var value = new byte[len];
                    fixed (byte* v = value)
                    {
                        len = lgetxattr(p, n, v, (nuint)value.Length);
                        if (len < 0) continue;
                    }
                    result[name] = value.AsSpan(0, (int)len).ToArray();
                }
            }
        }
        return result;
    }
}

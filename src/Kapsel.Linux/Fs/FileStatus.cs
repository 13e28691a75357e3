using System.Runtime.InteropServices;
using System.Text;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Fs;

/// <summary>
/// The one stat/xattr reader: statx on raw fds (including O_PATH fds, which .NET's FileStream
/// cannot open) and lstat of paths (a symlink is described, never followed), and a path's
/// extended attributes. Layer writers, the build's copy, tmpfs copy-up and the image pruner use it.
/// </summary>
public static unsafe partial class FileStatus
{
    public const uint S_IFMT = 0xf000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xa000, S_IFCHR = 0x2000,
        S_IFBLK = 0x6000, S_IFIFO = 0x1000, S_IFSOCK = 0xc000;
    private const int AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100, STATX_BASIC_STATS = 0x7ff;

    /// <summary>What lstat tells about a path (the link itself for symlinks).</summary>
    public readonly record struct Info(uint Mode, uint Uid, uint Gid, long Size, ulong Inode, uint DeviceMajor, uint DeviceMinor,
        uint Links, long MtimeSeconds, uint MtimeNanoseconds, uint RdevMajor, uint RdevMinor)
    {
        public uint Type => Mode & S_IFMT;
    }

    [LibraryImport(Sys.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buf);
    [LibraryImport(Sys.Libc, EntryPoint = "llistxattr", SetLastError = true)]
    private static partial nint llistxattr(byte* path, byte* list, nuint size);
    [LibraryImport(Sys.Libc, EntryPoint = "lgetxattr", SetLastError = true)]
    private static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);

    /// <summary>st_mode of an open fd.</summary>
    public static uint Mode(int fd)
    {
        byte* buf = stackalloc byte[256];
        SyscallException.Check(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, buf), $"statx(fd {fd})");
        return *(ushort*)(buf + 0x1c); // struct statx: stx_mode at offset 28
    }

    /// <summary>The inode number of a path (following symlinks), or -1 when it does not exist.</summary>
    public static long Inode(string path)
    {
        byte* buf = stackalloc byte[256];
        if (statx(FileCalls.AT_FDCWD, path, 0, STATX_BASIC_STATS, buf) != 0) return -1;
        return *(long*)(buf + 0x20); // stx_ino at offset 32
    }

    /// <summary>lstat(2) of a path; 0, or -errno (no exception: "missing" is a normal answer for callers walking trees).</summary>
    public static int TryLstat(string path, out Info info)
    {
        info = default;
        byte* b = stackalloc byte[256];
        if (statx(FileCalls.AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, b) < 0) return -Marshal.GetLastPInvokeError();
        // struct statx: nlink @16, uid @20, gid @24, mode @28, ino @32, size @40, mtime {s64, u32} @112,
        // rdev major/minor @128/@132, dev major/minor @136/@140.
        info = new Info(Mode: *(ushort*)(b + 28), Uid: *(uint*)(b + 20), Gid: *(uint*)(b + 24), Size: *(long*)(b + 40),
            Inode: *(ulong*)(b + 32), DeviceMajor: *(uint*)(b + 136), DeviceMinor: *(uint*)(b + 140), Links: *(uint*)(b + 16),
            MtimeSeconds: *(long*)(b + 112), MtimeNanoseconds: *(uint*)(b + 120), RdevMajor: *(uint*)(b + 128), RdevMinor: *(uint*)(b + 132));
        return 0;
    }

    /// <summary>lstat(2) of a path; throws naming it.</summary>
    public static Info Lstat(string path)
    {
        var r = TryLstat(path, out var info);
        return r == 0 ? info : throw new SyscallException($"statx(\"{path}\")", -r);
    }

    /// <summary>
    /// Extended attributes of a path itself (not a symlink's target), sorted by name. A file system
    /// without xattrs gives none. Other failures throw, unless <paramref name="bestEffort"/>: then
    /// what can be read is returned (a tar of a rootfs keeps going past an unreadable attribute).
    /// Attributes that vanish or are not readable in this namespace are skipped either way.
    /// </summary>
    public static SortedDictionary<string, byte[]> Xattrs(string path, bool bestEffort = false)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        fixed (byte* p = Utf8.Z(path))
        {
            var size = llistxattr(p, null, 0);
            if (size < 0) return Failed(result, "llistxattr", path, bestEffort);
            if (size == 0) return result;
            var list = new byte[size + 256]; // room for attributes added meanwhile
            fixed (byte* l = list)
            {
                size = llistxattr(p, l, (nuint)list.Length);
                if (size < 0) return Failed(result, "llistxattr", path, bestEffort);
            }
            foreach (var name in Encoding.UTF8.GetString(list, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                fixed (byte* n = Utf8.Z(name))
                {
                    var len = lgetxattr(p, n, null, 0);
                    if (len < 0) continue;
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

    private static SortedDictionary<string, byte[]> Failed(SortedDictionary<string, byte[]> empty, string call, string path, bool bestEffort)
    {
        var errno = Marshal.GetLastPInvokeError();
        if (bestEffort || errno == Errnos.ENOTSUP) return empty;
        throw new SyscallException($"{call}(\"{path}\")", errno);
    }
}

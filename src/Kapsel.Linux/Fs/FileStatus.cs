using System.Runtime.InteropServices;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Fs;

/// <summary>fstat on raw fds (including O_PATH fds, which .NET's FileStream cannot open).</summary>
public static unsafe partial class FileStatus
{
    public const uint S_IFMT = 0xf000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xa000, S_IFCHR = 0x2000, S_IFBLK = 0x6000;
    private const int AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100, STATX_BASIC_STATS = 0x7ff;

    /// <summary>What lstat tells about a path (the link itself for symlinks).</summary>
    public readonly record struct Info(uint Mode, uint Uid, uint Gid, uint RdevMajor, uint RdevMinor, long MtimeSeconds, uint MtimeNanoseconds)
    {
        public uint Type => Mode & S_IFMT;
    }

    /// <summary>lstat(2) of a path, through statx.</summary>
    public static Info Lstat(string path)
    {
        byte* buf = stackalloc byte[256];
        SyscallException.Check(statx(FileCalls.AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf), $"statx(\"{path}\")");
        // struct statx: uid @20, gid @24, mode @28, mtime {s64 sec, u32 nsec} @112, rdev major/minor @128/@132
        return new Info(*(ushort*)(buf + 28), *(uint*)(buf + 20), *(uint*)(buf + 24), *(uint*)(buf + 128), *(uint*)(buf + 132),
            *(long*)(buf + 112), *(uint*)(buf + 120));
    }

    [LibraryImport(Sys.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buf);

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
}

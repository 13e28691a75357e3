using System.Runtime.InteropServices;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Fs;

/// <summary>fstat on raw fds (including O_PATH fds, which .NET's FileStream cannot open).</summary>
public static unsafe partial class FileStatus
{
    public const uint S_IFMT = 0xf000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xa000, S_IFCHR = 0x2000, S_IFBLK = 0x6000;
    private const int AT_EMPTY_PATH = 0x1000, STATX_BASIC_STATS = 0x7ff;

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

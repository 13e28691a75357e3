using System.Runtime.InteropServices;
using Kapsel.Linux;
using Kapsel.Linux.Interop;

namespace Kapsel.Images.Layers;

/// <summary>
/// The *at(2) calls layer unpacking needs: every one takes a directory fd and a single path
/// component, so nothing is ever resolved through a symlink a layer planted.
/// Each returns 0/fd or -errno (callers decide which errno is an error).
/// </summary>
internal static unsafe partial class LayerFs
{
    public const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    public const uint S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000, S_IFREG = 0x8000, S_IFLNK = 0xa000, S_IFMT = 0xf000;
    private const int STATX_BASIC_STATS = 0x7ff;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec { public long Sec, Nsec; }

    [LibraryImport(Sys.Libc, EntryPoint = "openat", SetLastError = true)]
    private static partial int openat(int dirfd, byte* path, int flags, int mode);
    [LibraryImport(Sys.Libc, EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int mkdirat(int dirfd, byte* path, uint mode);
    [LibraryImport(Sys.Libc, EntryPoint = "mknodat", SetLastError = true)]
    private static partial int mknodat(int dirfd, byte* path, uint mode, ulong dev);
    [LibraryImport(Sys.Libc, EntryPoint = "symlinkat", SetLastError = true)]
    private static partial int symlinkat(byte* target, int dirfd, byte* path);
    [LibraryImport(Sys.Libc, EntryPoint = "linkat", SetLastError = true)]
    private static partial int linkat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);
    [LibraryImport(Sys.Libc, EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int unlinkat(int dirfd, byte* path, int flags);
    [LibraryImport(Sys.Libc, EntryPoint = "fchownat", SetLastError = true)]
    private static partial int fchownat(int dirfd, byte* path, int uid, int gid, int flags);
    [LibraryImport(Sys.Libc, EntryPoint = "fchmodat", SetLastError = true)]
    private static partial int fchmodat(int dirfd, byte* path, uint mode, int flags);
    [LibraryImport(Sys.Libc, EntryPoint = "fchmod", SetLastError = true)]
    private static partial int fchmod(int fd, uint mode);
    [LibraryImport(Sys.Libc, EntryPoint = "fchown", SetLastError = true)]
    private static partial int fchown(int fd, int uid, int gid);
    [LibraryImport(Sys.Libc, EntryPoint = "utimensat", SetLastError = true)]
    private static partial int utimensat(int dirfd, byte* path, Timespec* times, int flags);
    [LibraryImport(Sys.Libc, EntryPoint = "fsetxattr", SetLastError = true)]
    private static partial int fsetxattr(int fd, byte* name, byte* value, nuint size, int flags);
    [LibraryImport(Sys.Libc, EntryPoint = "lsetxattr", SetLastError = true)]
    private static partial int lsetxattr(byte* path, byte* name, byte* value, nuint size, int flags);
    [LibraryImport(Sys.Libc, EntryPoint = "statx", SetLastError = true)]
    private static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buf);

    private static int R(int result) => result >= 0 ? result : -Marshal.GetLastPInvokeError();

    public static int OpenAt(int dirFd, string name, int flags, int mode = 0)
    {
        fixed (byte* p = Utf8.Z(name)) return R(openat(dirFd, p, flags | FileCalls.O_CLOEXEC, mode));
    }

    public static int MkdirAt(int dirFd, string name, uint mode)
    {
        fixed (byte* p = Utf8.Z(name)) return R(mkdirat(dirFd, p, mode));
    }

    public static int MknodAt(int dirFd, string name, uint mode, uint major, uint minor)
    {
        // glibc's makedev encoding.
        var dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        fixed (byte* p = Utf8.Z(name)) return R(mknodat(dirFd, p, mode, dev));
    }

    public static int SymlinkAt(string target, int dirFd, string name)
    {
        fixed (byte* t = Utf8.Z(target))
        fixed (byte* p = Utf8.Z(name)) return R(symlinkat(t, dirFd, p));
    }

    /// <summary>linkat without AT_SYMLINK_FOLLOW: links the named inode itself, never a symlink's target.</summary>
    public static int LinkAt(int oldDirFd, string oldName, int newDirFd, string newName)
    {
        fixed (byte* o = Utf8.Z(oldName))
        fixed (byte* n = Utf8.Z(newName)) return R(linkat(oldDirFd, o, newDirFd, n, 0));
    }

    public static int UnlinkAt(int dirFd, string name, int flags)
    {
        fixed (byte* p = Utf8.Z(name)) return R(unlinkat(dirFd, p, flags));
    }

    public static int FchownAt(int dirFd, string name, int uid, int gid)
    {
        fixed (byte* p = Utf8.Z(name)) return R(fchownat(dirFd, p, uid, gid, AT_SYMLINK_NOFOLLOW));
    }

    public static int Fchown(int fd, int uid, int gid) => R(fchown(fd, uid, gid));

    public static int Fchmod(int fd, uint mode) => R(fchmod(fd, mode));

    /// <summary>chmod of a just-created non-symlink entry (fchmodat has no working NOFOLLOW for it).</summary>
    public static int FchmodAt(int dirFd, string name, uint mode)
    {
        fixed (byte* p = Utf8.Z(name)) return R(fchmodat(dirFd, p, mode, 0));
    }

    public static int SetTimesAt(int dirFd, string name, DateTimeOffset mtime)
    {
        var t = stackalloc Timespec[2];
        var ticks = (mtime - DateTimeOffset.UnixEpoch).Ticks;
        t[0] = t[1] = new Timespec { Sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem), Nsec = rem * 100 };
        if (t[0].Nsec < 0) { t[0].Sec--; t[0].Nsec += 1_000_000_000; t[1] = t[0]; }
        // "" + AT_EMPTY_PATH means the fd itself.
        fixed (byte* p = Utf8.Z(name)) return R(utimensat(dirFd, p, t, name.Length == 0 ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW));
    }

    public static int FSetXattr(int fd, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* n = Utf8.Z(name))
        fixed (byte* v = value) return R(fsetxattr(fd, n, v, (nuint)value.Length, 0));
    }

    /// <summary>setxattr on DIRFD/NAME without following NAME (for symlinks and device nodes).</summary>
    public static int LSetXattrAt(int dirFd, string name, string attr, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = Utf8.Z($"/proc/self/fd/{dirFd}/{name}"))
        fixed (byte* n = Utf8.Z(attr))
        fixed (byte* v = value) return R(lsetxattr(p, n, v, (nuint)value.Length, 0));
    }

    /// <summary>st_mode of DIRFD/NAME without following a final symlink; -errno if missing.</summary>
    public static long ModeAt(int dirFd, string name)
    {
        byte* buf = stackalloc byte[256];
        fixed (byte* p = Utf8.Z(name))
        {
            var r = statx(dirFd, p, AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? AT_EMPTY_PATH : 0), STATX_BASIC_STATS, buf);
            if (r < 0) return -Marshal.GetLastPInvokeError();
            return *(ushort*)(buf + 0x1c);
        }
    }

    public static SyscallException Error(string call, int negErrno) => new(call, -negErrno);
}

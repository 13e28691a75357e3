using System.Runtime.InteropServices;

namespace Kapsel.Linux.Interop;

/// <summary>mount(2), umount2(2), pivot_root(2), chroot(2) and the new mount API.</summary>
public static partial class MountCalls
{
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
        MS_REMOUNT = 32, MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256, MS_NOATIME = 1024,
        MS_NODIRATIME = 2048, MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_SILENT = 32768,
        MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20,
        MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;

    public const int MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;

    [LibraryImport(Sys.Libc, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string? source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport(Sys.Libc, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    [LibraryImport(Sys.Libc, EntryPoint = "chroot", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chroot(string path);

    public static void Mount(string? source, string target, string? fstype, ulong flags, string? data = null) =>
        SyscallException.Check(mount(source, target, fstype, flags, data),
            $"mount(\"{source}\", \"{target}\", \"{fstype}\", 0x{flags:x}, \"{data}\")");

    public static void Umount(string target, int flags = 0) =>
        SyscallException.Check(umount2(target, flags), $"umount2(\"{target}\", {flags})");

    /// <summary>Unmounts, returning the errno instead of throwing (0 on success).</summary>
    public static int TryUmount(string target, int flags = 0) =>
        umount2(target, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static void Chroot(string path) => SyscallException.Check(chroot(path), $"chroot(\"{path}\")");
}

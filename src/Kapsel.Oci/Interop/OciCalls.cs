using System.Runtime.InteropServices;
using Kapsel.Linux;

namespace Kapsel.Oci.Interop;

/// <summary>The few host-side libc calls the runtime needs beyond Kapsel.Linux: statvfs, mkfifo, chmod.</summary>
internal static unsafe partial class OciCalls
{
    public const ulong ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_NOATIME = 1024, ST_NODIRATIME = 2048, ST_RELATIME = 4096;

    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfs
    {
        public ulong Bsize, Frsize, Blocks, Bfree, Bavail, Files, Ffree, Favail, Fsid, Flag, Namemax;
        public fixed int Spare[6];
    }

    [LibraryImport("libc.so.6", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statvfs(string path, StatVfs* buf);

    [LibraryImport("libc.so.6", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, int mode);

    [LibraryImport("libc.so.6", EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, int mode);

    /// <summary>The ST_* mount flags of the mount holding path (0 if it cannot be read).</summary>
    public static ulong MountFlags(string path)
    {
        StatVfs buf;
        return statvfs(path, &buf) == 0 ? buf.Flag : 0;
    }

    public static void MakeFifo(string path, int mode)
    {
        SyscallException.Check(mkfifo(path, mode), $"mkfifo(\"{path}\")");
        SyscallException.Check(chmod(path, mode), $"chmod(\"{path}\")"); // mkfifo honours the umask
    }

    public static void Chmod(string path, int mode) => SyscallException.Check(chmod(path, mode), $"chmod(\"{path}\")");
}

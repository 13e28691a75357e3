using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Fs;

/// <summary>
/// Copies a directory's contents into another directory as they are: owners, modes and
/// modification times kept, symlinks copied as links (never followed), device nodes and fifos
/// recreated, sockets skipped, hard links copied as separate files. Used to fill a fresh tmpfs
/// with what it covers (the OCI "tmpcopyup" mount option).
/// </summary>
public static unsafe class TreeCopy
{
    public static void Contents(string source, string destination)
    {
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var from = entry.FullName;
            var to = Path.Combine(destination, entry.Name);
            var info = FileStatus.Lstat(from);
            switch (info.Type)
            {
                case FileStatus.S_IFLNK: File.CreateSymbolicLink(to, entry.LinkTarget!); break;
                case FileStatus.S_IFDIR: Directory.CreateDirectory(to); Contents(from, to); break;
                case FileStatus.S_IFREG: File.Copy(from, to); break;
                case FileStatus.S_IFCHR or FileStatus.S_IFBLK or FileStatus.S_IFIFO: Mknod(to, info); break;
                default: continue; // sockets belong to a process that is not there
            }
            CopyAttributes(info, to);
        }
    }

    /// <summary>Owner, mode and modification time of <paramref name="source"/> onto an existing <paramref name="destination"/>.</summary>
    public static void CopyAttributes(string source, string destination, bool owner = true, bool mode = true) =>
        CopyAttributes(FileStatus.Lstat(source), destination, owner, mode);

    private static void CopyAttributes(FileStatus.Info info, string to, bool owner = true, bool mode = true)
    {
        // lchown for links; chown otherwise, so a destination named through /proc/self/fd/N (a mount's root) is reached.
        if (owner) Chown(to, info.Uid, info.Gid, follow: info.Type != FileStatus.S_IFLNK);
        if (info.Type == FileStatus.S_IFLNK) return;
        // After the chown, which clears setuid/setgid bits.
        if (mode) File.SetUnixFileMode(to, (UnixFileMode)(info.Mode & 0xfff));
        var mtime = DateTime.UnixEpoch.AddSeconds(info.MtimeSeconds).AddTicks(info.MtimeNanoseconds / 100);
        if (info.Type == FileStatus.S_IFDIR) Directory.SetLastWriteTimeUtc(to, mtime);
        else File.SetLastWriteTimeUtc(to, mtime);
    }

    private static void Mknod(string path, FileStatus.Info info)
    {
        // makedev for the kernel's 32-bit dev_t: minor low 8 bits | major << 8 | minor high bits << 12.
        var dev = (info.RdevMinor & 0xff) | (info.RdevMajor << 8) | ((info.RdevMinor & ~0xffu) << 12);
        fixed (byte* p = Utf8.Z(path))
            SyscallException.Check(Sys.Syscall(Sys.SYS_mknodat, FileCalls.AT_FDCWD, (long)p, info.Mode, dev), $"mknodat(\"{path}\")");
    }

    private static void Chown(string path, uint uid, uint gid, bool follow)
    {
        fixed (byte* p = Utf8.Z(path))
            SyscallException.Check(Sys.Syscall(follow ? Sys.SYS_chown : Sys.SYS_lchown, (long)p, uid, gid), $"chown(\"{path}\")");
    }
}

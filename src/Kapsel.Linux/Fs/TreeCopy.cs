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
            Lchown(to, info.Uid, info.Gid);
            if (info.Type == FileStatus.S_IFLNK) continue;
            // After the chown, which clears setuid/setgid bits.
            File.SetUnixFileMode(to, (UnixFileMode)(info.Mode & 0xfff));
            var mtime = DateTime.UnixEpoch.AddSeconds(info.MtimeSeconds).AddTicks(info.MtimeNanoseconds / 100);
            if (info.Type == FileStatus.S_IFDIR) Directory.SetLastWriteTimeUtc(to, mtime);
            else File.SetLastWriteTimeUtc(to, mtime);
        }
    }

    private static void Mknod(string path, FileStatus.Info info)
    {
        // makedev for the kernel's 32-bit dev_t: minor low 8 bits | major << 8 | minor high bits << 12.
        var dev = (info.RdevMinor & 0xff) | (info.RdevMajor << 8) | ((info.RdevMinor & ~0xffu) << 12);
        fixed (byte* p = Utf8.Z(path))
            SyscallException.Check(Sys.Syscall(Sys.SYS_mknodat, FileCalls.AT_FDCWD, (long)p, info.Mode, dev), $"mknodat(\"{path}\")");
    }

    private static void Lchown(string path, uint uid, uint gid)
    {
        fixed (byte* p = Utf8.Z(path))
            SyscallException.Check(Sys.Syscall(Sys.SYS_lchown, (long)p, uid, gid), $"lchown(\"{path}\")");
    }
}

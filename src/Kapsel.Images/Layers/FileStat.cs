using Kapsel.Linux;
using Kapsel.Linux.Fs;

namespace Kapsel.Images.Layers;

/// <summary>
/// What a layer writer needs to know about one file, read with statx(AT_SYMLINK_NOFOLLOW) so a
/// symlink is described, never followed; plus its extended attributes (both read by Kapsel.Linux.Fs.FileStatus).
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
        var r = FileStatus.TryLstat(path, out var i);
        if (r == -Errnos.ENOENT || r == -Errnos.ENOTDIR) return null;
        if (r < 0) throw new SyscallException($"statx(\"{path}\")", -r);
        return new FileStat(i.Mode, (int)i.Uid, (int)i.Gid, i.Size, i.Inode, ((ulong)i.DeviceMajor << 32) | i.DeviceMinor, i.Links,
            i.MtimeSeconds, i.RdevMajor, i.RdevMinor);
    }

    /// <summary>Extended attributes of a path (not following a final symlink), sorted by name.</summary>
    public static SortedDictionary<string, byte[]> Xattrs(string path) => FileStatus.Xattrs(path);
}

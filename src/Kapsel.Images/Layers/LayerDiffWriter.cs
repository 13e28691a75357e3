using Kapsel.Linux.Interop;

namespace Kapsel.Images.Layers;

/// <summary>How a directory is read into a layer.</summary>
public enum LayerSource
{
    /// <summary>A plain root filesystem (a built-in image): everything as it is.</summary>
    Rootfs,
    /// <summary>
    /// An overlayfs upper dir: character devices 0/0 become `.wh.NAME` whiteouts, directories
    /// with trusted.overlay.opaque=y get a `.wh..wh..opq` entry, overlay's own xattrs are dropped.
    /// </summary>
    OverlayUpper,
}

/// <summary>
/// Turns a directory tree into layer tar entries: regular files, directories, symlinks, hard
/// links (by inode: the first name in sort order carries the data, later ones link to it),
/// devices, fifos, modes, owners and xattrs. Entries are written depth first with each
/// directory's children in ordinal order, so an unchanged tree always gives the same tar.
/// Symlinks are described (lstat, readlink), never followed; sockets are skipped.
/// </summary>
public sealed class LayerDiffWriter
{
    private readonly TarStreamWriter _tar;
    private readonly LayerSource _source;
    private readonly Dictionary<(ulong Dev, ulong Ino), string> _links = [];
    private readonly IReadOnlySet<string>? _exclude;

    public long Entries { get; private set; }

    private LayerDiffWriter(TarStreamWriter tar, LayerSource source, IReadOnlySet<string>? exclude)
    {
        _tar = tar;
        _source = source;
        _exclude = exclude;
    }

    /// <summary>
    /// Writes the entries of everything below <paramref name="root"/> (not the root itself), without
    /// the end marker. <paramref name="exclude"/>: relative paths left out (with what is below them).
    /// </summary>
    public static long WriteEntries(TarStreamWriter tar, string root, LayerSource source, string prefix = "", IReadOnlySet<string>? exclude = null)
    {
        var writer = new LayerDiffWriter(tar, source, exclude);
        writer.Walk(Path.GetFullPath(root), prefix);
        return writer.Entries;
    }

    /// <summary>A complete uncompressed layer tar of a directory.</summary>
    public static void Write(Stream output, string root, LayerSource source)
    {
        var tar = new TarStreamWriter(output);
        WriteEntries(tar, root, source);
        tar.Finish();
    }

    private void Walk(string dir, string prefix)
    {
        var names = System.IO.Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Select(n => n!).ToList();
        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var full = Path.Combine(dir, name);
            var rel = prefix + name;
            if (_exclude is not null && _exclude.Contains(rel)) continue;
            if (FileStat.Lstat(full) is not { } st) continue; // vanished
            Entries++;
            if (_source == LayerSource.OverlayUpper && st.IsWhiteout)
            {
                _tar.File(prefix + ".wh." + name, 0, 0, 0, 0, ReadOnlySpan<byte>.Empty);
                continue;
            }
            var allXattrs = FileStat.Xattrs(full);
            var opaque = _source == LayerSource.OverlayUpper && st.IsDirectory && IsOpaque(allXattrs);
            var xattrs = Filter(allXattrs);
            switch (st.Type)
            {
                case LayerFs.S_IFDIR:
                    _tar.Directory(rel, st.Permissions, st.Uid, st.Gid, st.MtimeSeconds, xattrs);
                    if (opaque)
                        _tar.File(rel + "/.wh..wh..opq", 0, 0, 0, 0, ReadOnlySpan<byte>.Empty);
                    Walk(full, rel + "/");
                    break;
                case LayerFs.S_IFREG:
                    if (st.Links > 1)
                    {
                        if (_links.TryGetValue((st.Device, st.Inode), out var first))
                        {
                            _tar.HardLink(rel, first, st.Permissions, st.Uid, st.Gid, st.MtimeSeconds);
                            break;
                        }
                        _links[(st.Device, st.Inode)] = rel;
                    }
                    var fd = FileCalls.Open(full, FileCalls.O_RDONLY | FileCalls.O_NOFOLLOW);
                    using (var content = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1 << 16))
                        _tar.File(rel, st.Permissions, st.Uid, st.Gid, st.MtimeSeconds, st.Size, content, xattrs);
                    break;
                case LayerFs.S_IFLNK:
                    var target = new FileInfo(full).LinkTarget ?? throw new ImageException($"cannot read the symlink {full}");
                    _tar.Symlink(rel, target, st.Uid, st.Gid, st.MtimeSeconds, xattrs);
                    break;
                case LayerFs.S_IFCHR or LayerFs.S_IFBLK:
                    _tar.Device(rel, st.Type == LayerFs.S_IFBLK, st.Permissions, st.Uid, st.Gid, st.MtimeSeconds, st.RdevMajor, st.RdevMinor, xattrs);
                    break;
                case LayerFs.S_IFIFO:
                    _tar.Fifo(rel, st.Permissions, st.Uid, st.Gid, st.MtimeSeconds);
                    break;
                default:
                    Entries--; // sockets have no place in an image
                    break;
            }
        }
    }

    private static SortedDictionary<string, byte[]>? Filter(SortedDictionary<string, byte[]> all)
    {
        foreach (var key in all.Keys.Where(IsOverlayPrivate).ToList()) all.Remove(key);
        return all.Count == 0 ? null : all;
    }

    private static bool IsOverlayPrivate(string name) =>
        name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || name.StartsWith("user.overlay.", StringComparison.Ordinal);

    private static bool IsOpaque(SortedDictionary<string, byte[]> x)
    {
        return (x.TryGetValue("trusted.overlay.opaque", out var v) || x.TryGetValue("user.overlay.opaque", out v)) && v.AsSpan().SequenceEqual("y"u8);
    }
}

using System.Text;
using Kapsel.Linux;
using Kapsel.Linux.Interop;

namespace Kapsel.Images.Layers;

/// <summary>
/// Writes one layer tar into a directory, safely. Every entry is created relative to a
/// directory fd with single-component *at calls; parent directories are opened with openat2
/// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS (or created component by component with O_NOFOLLOW),
/// so a symlink planted by the layer is never followed, and `..` or absolute names are refused
/// before anything touches the disk. Whiteouts become overlayfs whiteouts, so the directory can
/// be used directly as an overlay lower dir.
/// </summary>
public sealed class LayerUnpacker : IDisposable
{
    private const int DirFlags = FileCalls.O_RDONLY | FileCalls.O_DIRECTORY | FileCalls.O_NOFOLLOW;
    private const ulong Beneath = FileCalls.RESOLVE_BENEATH | FileCalls.RESOLVE_NO_SYMLINKS | FileCalls.RESOLVE_NO_MAGICLINKS;

    private readonly int _rootFd;
    private readonly LayerUnpackOptions _options;
    private readonly List<(string Parent, string Leaf, DateTimeOffset Mtime)> _dirTimes = [];
    private readonly byte[] _buffer = new byte[1 << 20];
    private string? _cachedParent;
    private int _cachedParentFd = -1;
    private long _entries, _bytes, _skippedDevices, _whiteouts, _opaque;

    private LayerUnpacker(string directory, LayerUnpackOptions options)
    {
        _options = options;
        _rootFd = FileCalls.Open(directory, DirFlags);
    }

    /// <summary>Unpacks an uncompressed tar stream into an existing (normally empty) directory.</summary>
    public static LayerUnpackResult Unpack(Stream tar, string directory, LayerUnpackOptions? options = null)
    {
        using var unpacker = new LayerUnpacker(directory, options ?? new LayerUnpackOptions());
        var reader = new TarStreamReader(tar);
        while (reader.Next() is { } entry)
        {
            try { unpacker.Apply(entry, reader); }
            catch (SyscallException e) { throw new ImageException($"layer entry \"{entry.Name}\": {e.Message}", e); }
        }
        unpacker.ApplyDirectoryTimes();
        return new LayerUnpackResult(unpacker._entries, unpacker._bytes, unpacker._skippedDevices, unpacker._whiteouts, unpacker._opaque);
    }

    private void Apply(TarEntry e, TarStreamReader reader)
    {
        _entries++;
        var parts = Split(e.Name, e.Name, "");
        if (parts.Length == 0)
        {
            // "./": the layer root itself.
            if (e.Kind != TarEntryKind.Directory) throw Refuse(e.Name, "the layer root must be a directory");
            ApplyOwnerModeXattrs(_rootFd, e);
            _dirTimes.Add(("", ".", e.ModTime));
            return;
        }
        var parentPath = string.Join('/', parts[..^1]);
        var leaf = parts[^1];
        var parentFd = OpenParent(parentPath, e.Name);

        if (_options.OverlayWhiteouts && leaf.StartsWith(".wh.", StringComparison.Ordinal))
        {
            ApplyWhiteout(e, parentFd, leaf);
            return;
        }

        switch (e.Kind)
        {
            case TarEntryKind.Directory:
            {
                if (!RemoveExisting(parentFd, leaf, e.Name, keepDirectory: true))
                    Check(LayerFs.MkdirAt(parentFd, leaf, 0x1c0 /* 0700 until the mode is applied */), "mkdirat", e.Name);
                var fd = Check(LayerFs.OpenAt(parentFd, leaf, DirFlags), "openat", e.Name);
                try { ApplyOwnerModeXattrs(fd, e); }
                finally { FileCalls.Close(fd); }
                _dirTimes.Add((parentPath, leaf, e.ModTime));
                return;
            }
            case TarEntryKind.File:
            {
                RemoveExisting(parentFd, leaf, e.Name, keepDirectory: false);
                var fd = Check(LayerFs.OpenAt(parentFd, leaf, FileCalls.O_WRONLY | FileCalls.O_CREAT | FileCalls.O_EXCL | FileCalls.O_NOFOLLOW, 0x180), "openat", e.Name);
                try
                {
                    int n;
                    while ((n = reader.ReadData(_buffer)) > 0)
                    {
                        FileCalls.WriteAll(fd, _buffer.AsSpan(0, n));
                        _bytes += n;
                    }
                    ApplyOwnerModeXattrs(fd, e);
                }
                finally { FileCalls.Close(fd); }
                break;
            }
            case TarEntryKind.Symlink:
                if (e.LinkName.Length == 0) throw Refuse(e.Name, "symlink with an empty target");
                RemoveExisting(parentFd, leaf, e.Name, keepDirectory: false);
                // The target is stored, never followed: it is resolved later inside the container's root.
                Check(LayerFs.SymlinkAt(e.LinkName, parentFd, leaf), "symlinkat", e.Name);
                ApplyOwnerAt(parentFd, leaf, e);
                ApplyXattrsAt(parentFd, leaf, e);
                break;
            case TarEntryKind.HardLink:
                ApplyHardLink(e, parentFd, leaf);
                return; // same inode: metadata came with the target
            case TarEntryKind.CharDevice or TarEntryKind.BlockDevice:
                if (!_options.CreateDevices) { _skippedDevices++; return; }
                RemoveExisting(parentFd, leaf, e.Name, keepDirectory: false);
                Check(LayerFs.MknodAt(parentFd, leaf, (e.Kind == TarEntryKind.CharDevice ? LayerFs.S_IFCHR : LayerFs.S_IFBLK) | (e.Mode & 0x1ff), e.DevMajor, e.DevMinor), "mknodat", e.Name);
                ApplyNodeMetadata(parentFd, leaf, e);
                break;
            case TarEntryKind.Fifo:
                RemoveExisting(parentFd, leaf, e.Name, keepDirectory: false);
                Check(LayerFs.MknodAt(parentFd, leaf, LayerFs.S_IFIFO | (e.Mode & 0x1ff), 0, 0), "mknodat", e.Name);
                ApplyNodeMetadata(parentFd, leaf, e);
                break;
        }
        Check(LayerFs.SetTimesAt(parentFd, leaf, e.ModTime), "utimensat", e.Name);
    }

    private void ApplyWhiteout(TarEntry e, int parentFd, string leaf)
    {
        if (leaf == ".wh..wh..opq")
        {
            // Opaque directory: hide everything of lower layers below the parent.
            Check(LayerFs.FSetXattr(parentFd, "trusted.overlay.opaque", "y"u8), "fsetxattr(trusted.overlay.opaque)", e.Name);
            _opaque++;
            return;
        }
        if (leaf.StartsWith(".wh..wh.", StringComparison.Ordinal)) return; // aufs bookkeeping (.wh..wh.plnk etc.)
        var hidden = leaf[4..];
        if (hidden is "" or "." or "..") throw Refuse(e.Name, "whiteout of an invalid name");
        RemoveExisting(parentFd, hidden, e.Name, keepDirectory: false);
        // overlayfs whiteout: a character device 0/0 with the hidden name.
        Check(LayerFs.MknodAt(parentFd, hidden, LayerFs.S_IFCHR, 0, 0), "mknodat(whiteout)", e.Name);
        _whiteouts++;
    }

    private void ApplyHardLink(TarEntry e, int parentFd, string leaf)
    {
        if (e.LinkName.Length == 0) throw Refuse(e.Name, "hard link with an empty target");
        if (e.LinkName.StartsWith('/')) throw Refuse(e.Name, $"hard link to absolute path \"{e.LinkName}\"");
        var target = Split(e.LinkName, e.Name, "hard link target ");
        if (target.Length == 0) throw Refuse(e.Name, "hard link to the layer root");
        var targetParent = string.Join('/', target[..^1]);
        var targetFd = targetParent.Length == 0 ? _rootFd : FileCalls.TryOpenAt2(_rootFd, targetParent, DirFlags, Beneath);
        if (targetFd < 0) throw Refuse(e.Name, $"hard link target \"{e.LinkName}\" is not inside this layer ({Errnos.Name(-targetFd)})");
        try
        {
            var mode = LayerFs.ModeAt(targetFd, target[^1]);
            if (mode < 0) throw Refuse(e.Name, $"hard link target \"{e.LinkName}\" does not exist in this layer");
            var type = (uint)mode & LayerFs.S_IFMT;
            if (type == LayerFs.S_IFLNK) throw Refuse(e.Name, $"hard link target \"{e.LinkName}\" is a symlink");
            if (type == LayerFs.S_IFDIR) throw Refuse(e.Name, $"hard link target \"{e.LinkName}\" is a directory");
            if (targetParent == string.Join('/', Split(e.Name, e.Name, "")[..^1]) && target[^1] == leaf) return; // link to itself
            RemoveExisting(parentFd, leaf, e.Name, keepDirectory: false);
            Check(LayerFs.LinkAt(targetFd, target[^1], parentFd, leaf), "linkat", e.Name);
        }
        finally
        {
            if (targetFd != _rootFd) FileCalls.Close(targetFd);
        }
    }

    /// <summary>The fd of the entry's parent directory (cached), created when missing, refused when it crosses a symlink.</summary>
    private int OpenParent(string parentPath, string entry)
    {
        if (parentPath.Length == 0) return _rootFd;
        if (parentPath == _cachedParent) return _cachedParentFd;
        var fd = FileCalls.TryOpenAt2(_rootFd, parentPath, DirFlags, Beneath);
        // Missing parents are created; any other failure is walked again to name the culprit.
        if (fd < 0) fd = CreateParents(parentPath, entry);
        FileCalls.Close(_cachedParentFd);
        (_cachedParent, _cachedParentFd) = (parentPath, fd);
        return fd;
    }

    private int CreateParents(string parentPath, string entry)
    {
        var cur = _rootFd;
        var walked = "";
        foreach (var part in parentPath.Split('/'))
        {
            walked = walked.Length == 0 ? part : walked + "/" + part;
            var next = LayerFs.OpenAt(cur, part, DirFlags);
            if (next == -Errnos.ENOENT)
            {
                var made = LayerFs.MkdirAt(cur, part, 0x1ed /* 0755, as tar does for implied parents */);
                if (made < 0 && made != -Errnos.EEXIST) Check(made, "mkdirat", entry);
                next = LayerFs.OpenAt(cur, part, DirFlags);
            }
            if (next < 0)
            {
                var isLink = ((uint)LayerFs.ModeAt(cur, part) & LayerFs.S_IFMT) == LayerFs.S_IFLNK;
                if (cur != _rootFd) FileCalls.Close(cur);
                throw ParentRefused(entry, walked, isLink ? Errnos.ELOOP : -next);
            }
            if (cur != _rootFd) FileCalls.Close(cur);
            cur = next;
        }
        return cur;
    }

    private static ImageException ParentRefused(string entry, string parent, int errno) => errno switch
    {
        Errnos.ELOOP or Errnos.EXDEV => Refuse(entry, $"parent \"{parent}\" is a symlink (writing through it could escape the layer)"),
        Errnos.ENOTDIR => Refuse(entry, $"parent \"{parent}\" is not a directory"),
        _ => new ImageException($"layer entry \"{entry}\": cannot open parent \"{parent}\": {Errnos.Describe(errno)}"),
    };

    /// <summary>
    /// Makes room for a new entry: an existing non-directory is replaced (later tar entries win);
    /// an existing directory is kept when a directory is wanted, else removed if empty.
    /// Returns true when an existing directory was kept.
    /// </summary>
    private bool RemoveExisting(int parentFd, string leaf, string entry, bool keepDirectory)
    {
        var mode = LayerFs.ModeAt(parentFd, leaf);
        if (mode == -Errnos.ENOENT) return false;
        if (mode < 0) Check((int)mode, "statx", entry);
        var isDir = ((uint)mode & LayerFs.S_IFMT) == LayerFs.S_IFDIR;
        if (isDir && keepDirectory) return true;
        InvalidateParentCache();
        var r = LayerFs.UnlinkAt(parentFd, leaf, isDir ? LayerFs.AT_REMOVEDIR : 0);
        if (r == -Errnos.ENOTEMPTY) throw Refuse(entry, "replaces a non-empty directory");
        Check(r, "unlinkat", entry);
        return false;
    }

    private void InvalidateParentCache()
    {
        FileCalls.Close(_cachedParentFd);
        (_cachedParent, _cachedParentFd) = (null, -1);
    }

    private void ApplyOwnerModeXattrs(int fd, TarEntry e)
    {
        if (_options.ApplyOwners) Check(LayerFs.Fchown(fd, e.Uid, e.Gid), "fchown", e.Name);
        // After chown: chown clears setuid/setgid.
        Check(LayerFs.Fchmod(fd, e.Mode & 0xfff), "fchmod", e.Name);
        if (_options.ApplyXattrs && e.Xattrs is not null)
            foreach (var (name, value) in e.Xattrs)
                if (AllowedXattr(name)) CheckXattr(LayerFs.FSetXattr(fd, name, value), name, e.Name);
    }

    private void ApplyNodeMetadata(int parentFd, string leaf, TarEntry e)
    {
        ApplyOwnerAt(parentFd, leaf, e);
        Check(LayerFs.FchmodAt(parentFd, leaf, e.Mode & 0xfff), "fchmodat", e.Name);
        ApplyXattrsAt(parentFd, leaf, e);
    }

    private void ApplyOwnerAt(int parentFd, string leaf, TarEntry e)
    {
        if (_options.ApplyOwners) Check(LayerFs.FchownAt(parentFd, leaf, e.Uid, e.Gid), "fchownat", e.Name);
    }

    private void ApplyXattrsAt(int parentFd, string leaf, TarEntry e)
    {
        if (!_options.ApplyXattrs || e.Xattrs is null) return;
        foreach (var (name, value) in e.Xattrs)
            if (AllowedXattr(name)) CheckXattr(LayerFs.LSetXattrAt(parentFd, leaf, name, value), name, e.Name);
    }

    /// <summary>overlay xattrs from a layer could forge whiteouts or redirects: only our own whiteout handling sets them.</summary>
    private static bool AllowedXattr(string name) =>
        !name.StartsWith("trusted.overlay.", StringComparison.Ordinal) && !name.StartsWith("user.overlay.", StringComparison.Ordinal);

    private static void CheckXattr(int result, string attr, string entry)
    {
        // Filesystems without user/trusted xattrs (or symlinks refusing user.*) lose the attribute, as tar does.
        if (result is -Errnos.EOPNOTSUPP or -Errnos.EPERM) return;
        Check(result, $"setxattr({attr})", entry);
    }

    private void ApplyDirectoryTimes()
    {
        foreach (var (parent, leaf, mtime) in _dirTimes)
        {
            var fd = parent.Length == 0 ? _rootFd : FileCalls.TryOpenAt2(_rootFd, parent, DirFlags, Beneath);
            if (fd < 0) continue; // removed by a later entry
            try { LayerFs.SetTimesAt(fd, leaf, mtime); }
            finally { if (fd != _rootFd) FileCalls.Close(fd); }
        }
    }

    /// <summary>Splits a tar name into components, refusing absolute paths, `..` and over-long components.</summary>
    private static string[] Split(string name, string entry, string what)
    {
        if (name.StartsWith('/')) throw Refuse(entry, $"{what}absolute path \"{name}\"");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        foreach (var p in parts)
        {
            if (p == "..") throw Refuse(entry, $"{what}\"{name}\" has a '..' component");
            if (Encoding.UTF8.GetByteCount(p) > 255) throw Refuse(entry, $"{what}name component longer than 255 bytes");
        }
        return parts;
    }

    private static ImageException Refuse(string entry, string reason) =>
        new($"refusing layer entry \"{Shorten(entry)}\": {reason}");

    private static string Shorten(string s) => s.Length <= 200 ? s : s[..200] + "...";

    private static int Check(int result, string call, string entry) =>
        result >= 0 ? result : throw new ImageException($"layer entry \"{Shorten(entry)}\": {call} failed: {Errnos.Describe(-result)}");

    public void Dispose()
    {
        FileCalls.Close(_cachedParentFd);
        FileCalls.Close(_rootFd);
    }
}

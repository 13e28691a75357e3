using Kapsel.Linux.Fs;
using System.Security.Cryptography;
using System.Text;
using Kapsel.Images.Layers;
using Kapsel.Linux.Interop;

namespace Kapsel.Images.Build;

/// <summary>Where COPY/ADD reads from: the build context (filtered by .dockerignore) or another stage's/image's root.</summary>
public sealed record CopySource(string Root, ContextFilter Filter, bool IsContext, string Description);

/// <summary>A COPY/ADD instruction after substitution.</summary>
public sealed record CopyRequest(
    IReadOnlyList<string> Sources,
    string Destination,
    CopySource From,
    MergedView Target,
    string WorkingDir,
    bool IsAdd = false,
    (int Uid, int Gid)? Chown = null,
    uint? Chmod = null);

/// <summary>
/// The files a COPY/ADD puts into a new layer, decided before anything is copied: sources
/// resolved (wildcards, .dockerignore, paths that leave the context refused), the destination
/// resolved inside the image (WORKDIR, trailing '/', existing directories, symlinked parents),
/// parent directories carrying the image's own metadata. <see cref="Hash"/> is the cache key
/// part (content and metadata, not mtimes); <see cref="Stage"/> lays the layer out in a directory.
/// </summary>
public sealed class CopyPlan
{
    private enum Kind { Dir, File, Symlink, Archive }

    private sealed record Item(Kind Kind, string Source, string Dest, uint Mode, int Uid, int Gid, long Mtime, string? LinkTarget);

    private readonly List<Item> _items = [];
    private readonly List<Item> _parents = [];
    private readonly CopyRequest _request;

    public int FileCount => _items.Count(i => i.Kind is Kind.File or Kind.Archive);

    private CopyPlan(CopyRequest request) => _request = request;

    /// <summary>The source root (context or stage), every lookup in it through openat2(RESOLVE_IN_ROOT).</summary>
    private RootfsPaths _source = null!;

    public static CopyPlan Create(CopyRequest r)
    {
        var plan = new CopyPlan(r);
        using (plan._source = new RootfsPaths(r.From.Root)) plan.Build();
        return plan;
    }

    /// <summary>
    /// The host path of a source-relative path, every symlink on the way resolved as if the source
    /// root were "/" (as Docker does): a context holding <c>link -> /etc</c> gives
    /// CONTEXT/etc/…, never the host's /etc. Null when it does not exist there.
    /// </summary>
    private string? InSource(string rel)
    {
        try { return _source.Resolve("/" + rel); }
        catch (Exception e) when (e is Kapsel.Linux.SyscallException or IOException) { return null; }
    }

    private string Verb => _request.IsAdd ? "ADD" : "COPY";

    private void Build()
    {
        var r = _request;
        var matches = new List<(string Full, string Rel)>();
        foreach (var src in r.Sources)
        {
            if (_request.IsAdd && (src.Contains("://") || src.StartsWith("git@")))
                throw new ImageException($"ADD {src}: remote sources are not supported (Kapsel builds offline); download the file into the context and COPY it");
            var rel = PathGlob.Clean(src);
            if (rel == ".." || rel.StartsWith("../"))
                throw new ImageException($"{Verb} failed: forbidden path outside the {r.From.Description}: {src}");
            if (PathGlob.HasWildcards(rel))
            {
                var glob = new PathGlob(rel);
                var found = Walk(_source.Root, "").Where(p => glob.Matches(p) && !r.From.Filter.IsExcluded(p)).ToList();
                if (found.Count == 0) throw new ImageException($"{Verb} failed: no source files were specified (nothing in the {r.From.Description} matches {src})");
                matches.AddRange(found.Select(p => (Path.Combine(_source.Root, p), p)));
            }
            else
            {
                // Parents resolved inside the source root; the last component is followed by FollowTop.
                var parent = Path.GetDirectoryName(rel);
                var full = rel.Length == 0 ? _source.Root
                    : parent is { Length: > 0 } ? (InSource(parent) is { } p ? Path.Combine(p, Path.GetFileName(rel)) : null)
                    : Path.Combine(_source.Root, rel);
                if (full is null || FileStat.Lstat(full) is null || r.From.Filter.IsExcluded(rel))
                    throw new ImageException($"{Verb} failed: \"{src}\" not found in the {r.From.Description}{(r.From.IsContext ? " (or excluded by .dockerignore)" : "")}");
                matches.Add((full, rel));
            }
        }

        var dest = r.Destination.StartsWith('/') ? r.Destination : ConfigInstructions.ResolveWorkdir(r.WorkingDir, ".").TrimEnd('/') + "/" + r.Destination;
        var destIsDir = r.Destination.EndsWith('/') || r.Destination is "." or ".." || matches.Count > 1 || r.Sources.Any(PathGlob.HasWildcards);
        var destRel = PathGlob.Clean(dest);
        if (destRel.StartsWith("..")) destRel = "";
        if (!destIsDir && destRel.Length > 0)
        {
            destRel = r.Target.ResolveParents(destRel);
            if (r.Target.Lstat(destRel) is { Stat.IsDirectory: true }) destIsDir = true;
            else if (matches.Count == 1 && FollowTop(matches[0].Full) is { } st0 && st0.IsDirectory) destIsDir = true;
        }
        if (destIsDir && destRel.Length > 0)
        {
            var resolved = r.Target.ResolveParents(destRel + "/_");
            destRel = resolved == "_" ? "" : resolved[..^2];
        }

        var parentOfDest = destIsDir ? destRel : (destRel.Contains('/') ? destRel[..destRel.LastIndexOf('/')] : "");
        AddParents(parentOfDest, includeSelf: true);

        foreach (var (full, rel) in matches)
        {
            var st = FollowTop(full) ?? throw new ImageException($"{Verb} failed: \"{rel}\" is a symlink leading outside the {r.From.Description}");
            var real = Resolve(full)!;
            if (st.IsDirectory) AddTree(real, rel, destRel);
            else
            {
                var target = destIsDir ? Join(destRel, Path.GetFileName(rel.Length == 0 ? real : rel)) : destRel;
                if (_request.IsAdd && st.IsRegular && IsArchive(real)) _items.Add(new Item(Kind.Archive, real, destIsDir ? destRel : target, 0, 0, 0, 0, null));
                else AddEntry(real, st, target);
            }
        }
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : a + "/" + b;

    /// <summary>Parent directories of the destination, with the image's metadata where they exist.</summary>
    private void AddParents(string rel, bool includeSelf)
    {
        if (rel.Length == 0) return;
        var parts = rel.Split('/');
        for (var i = 1; i <= parts.Length - (includeSelf ? 0 : 1); i++)
        {
            var p = string.Join('/', parts[..i]);
            if (_request.Target.Lstat(p) is { } existing && existing.Stat.IsDirectory)
                _parents.Add(new Item(Kind.Dir, "", p, existing.Stat.Permissions, existing.Stat.Uid, existing.Stat.Gid, existing.Stat.MtimeSeconds, null));
            else
            {
                var (uid, gid) = _request.Chown ?? (0, 0);
                _parents.Add(new Item(Kind.Dir, "", p, 0x1ed, uid, gid, 0, null));
            }
        }
    }

    private void AddTree(string dir, string contextRel, string destRel)
    {
        var names = Directory.EnumerateFileSystemEntries(dir).Select(n => Path.GetFileName(n)!).ToList();
        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var full = Path.Combine(dir, name);
            var rel = Join(contextRel, name);
            if (FileStat.Lstat(full) is not { } st) continue;
            var excluded = _request.From.Filter.IsExcluded(rel);
            if (excluded && !(st.IsDirectory && _request.From.Filter.HasExceptions)) continue;
            var target = Join(destRel, name);
            if (!excluded) AddEntry(full, st, target);
            if (st.IsDirectory) AddTree(full, rel, target);
        }
    }

    private void AddEntry(string full, FileStat st, string dest)
    {
        var (uid, gid) = _request.Chown ?? (_request.From.IsContext ? (0, 0) : (st.Uid, st.Gid));
        var mode = _request.Chmod ?? st.Permissions;
        if (st.IsDirectory) _items.Add(new Item(Kind.Dir, full, dest, mode, uid, gid, st.MtimeSeconds, null));
        else if (st.IsRegular) _items.Add(new Item(Kind.File, full, dest, mode, uid, gid, st.MtimeSeconds, null));
        else if (st.IsSymlink) _items.Add(new Item(Kind.Symlink, full, dest, 0x1ff, uid, gid, st.MtimeSeconds, new FileInfo(full).LinkTarget));
        // devices, fifos and sockets are not copied (as docker)
    }

    /// <summary>Context-relative paths of everything below a root (for wildcards).</summary>
    private static IEnumerable<string> Walk(string root, string rel)
    {
        var dir = rel.Length == 0 ? root : Path.Combine(root, rel);
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var childRel = Join(rel, Path.GetFileName(entry));
            yield return childRel;
            if (FileStat.Lstat(entry) is { IsDirectory: true }) foreach (var x in Walk(root, childRel)) yield return x;
        }
    }

    /// <summary>Follows a top-level source symlink, inside the source root only.</summary>
    private FileStat? FollowTop(string full) => Resolve(full) is { } real ? FileStat.Lstat(real) : null;

    private string? Resolve(string full)
    {
        var rel = Path.GetRelativePath(_source.Root, full);
        if (rel == ".." || rel.StartsWith("../") || Path.IsPathRooted(rel)) return null;
        return rel == "." ? _source.Root : InSource(rel);
    }

    private static bool IsArchive(string file)
    {
        try
        {
            using var f = File.OpenRead(file);
            var (s, _) = Decompression.Open(f, leaveOpen: true);
            using (s)
            {
                var head = new byte[512];
                var got = 0;
                int n;
                while (got < 512 && (n = s.Read(head, got, 512 - got)) > 0) got += n;
                return got == 512 && head.AsSpan(257, 5).SequenceEqual("ustar"u8);
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException) { return false; }
    }

    /// <summary>Content and metadata of everything copied (mtimes excluded, as Docker's cache checksum).</summary>
    public string Hash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var i in _parents.Concat(_items))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{i.Kind}\0{i.Dest}\0{Convert.ToString(i.Mode, 8)}\0{i.Uid}:{i.Gid}\0{i.LinkTarget}\0"));
            if (i.Kind is Kind.File or Kind.Archive)
            {
                using var f = new FileStream(i.Source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                hash.AppendData(SHA256.HashData(f));
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Lays the new layer out under <paramref name="stageDir"/> (an empty directory).</summary>
    public void Stage(string stageDir)
    {
        var dirTimes = new List<(string Path, long Mtime)>();
        foreach (var p in _parents)
        {
            var path = Path.Combine(stageDir, p.Dest);
            Directory.CreateDirectory(path);
            Own(path, p);
            dirTimes.Add((path, p.Mtime));
        }
        foreach (var i in _items)
        {
            var path = Path.Combine(stageDir, i.Dest);
            var parent = Path.GetDirectoryName(path)!;
            if (!Directory.Exists(parent)) Directory.CreateDirectory(parent);
            if (FileStat.Lstat(path) is { } existing && !(existing.IsDirectory && i.Kind is Kind.Dir or Kind.Archive))
            {
                if (existing.IsDirectory) ImageStore.DeleteTree(path); else File.Delete(path);
            }
            switch (i.Kind)
            {
                case Kind.Dir:
                    Directory.CreateDirectory(path);
                    Own(path, i);
                    dirTimes.Add((path, i.Mtime));
                    break;
                case Kind.File:
                    File.Copy(i.Source, path, overwrite: true);
                    Own(path, i);
                    File.SetLastWriteTimeUtc(path, DateTime.UnixEpoch.AddSeconds(i.Mtime));
                    break;
                case Kind.Symlink:
                    File.CreateSymbolicLink(path, i.LinkTarget!);
                    LayerFs.FchownAt(-100, path, i.Uid, i.Gid);
                    break;
                case Kind.Archive:
                    Directory.CreateDirectory(path);
                    using (var f = File.OpenRead(i.Source))
                    {
                        var (s, _) = Decompression.Open(f, leaveOpen: true);
                        using (s) LayerUnpacker.Unpack(new BufferedStream(s, 1 << 16), path, new LayerUnpackOptions { OverlayWhiteouts = false });
                    }
                    if (_request.Chown is { } c) ChownTree(path, c.Uid, c.Gid);
                    break;
            }
        }
        // Directory times last: writing into a directory changes its mtime. Deepest first.
        foreach (var (path, mtime) in dirTimes.OrderByDescending(d => d.Path.Length))
            Directory.SetLastWriteTimeUtc(path, DateTime.UnixEpoch.AddSeconds(mtime));
    }

    private static void Own(string path, Item i)
    {
        var r = LayerFs.FchownAt(-100, path, i.Uid, i.Gid);
        if (r < 0) throw LayerFs.Error($"lchown(\"{path}\")", r);
        File.SetUnixFileMode(path, (UnixFileMode)(i.Mode & 0xfff));
    }

    private static void ChownTree(string dir, int uid, int gid)
    {
        LayerFs.FchownAt(-100, dir, uid, gid);
        foreach (var e in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            LayerFs.FchownAt(-100, e, uid, gid);
    }
}

using Kapsel.Images.Layers;

namespace Kapsel.Images.Build;

/// <summary>
/// Lookups in an image's merged filesystem without mounting it: a path is searched in the
/// layer dirs topmost first, honouring overlay whiteouts (char 0/0) and opaque directories,
/// and symlinks in parent components are resolved inside the image root (as a container would).
/// </summary>
public sealed class MergedView(IReadOnlyList<string> lowerDirsTopFirst)
{
    /// <summary>The layer dir holding a path's visible version and its stat, or null if the path does not exist.</summary>
    public (string Layer, FileStat Stat)? Lstat(string relPath)
    {
        relPath = PathGlob.Clean(relPath);
        if (relPath.Length == 0) return lowerDirsTopFirst.Count == 0 ? null : (lowerDirsTopFirst[^1], FileStat.Lstat(lowerDirsTopFirst[^1])!.Value);
        var parts = relPath.Split('/');
        foreach (var layer in lowerDirsTopFirst)
        {
            if (FileStat.Lstat(Path.Combine(layer, relPath)) is { } st)
                return st.IsWhiteout ? null : (layer, st);
            // A whiteout or an opaque dir on the way hides the path in every lower layer.
            for (var i = 1; i <= parts.Length - 1; i++)
            {
                var parent = Path.Combine(layer, string.Join('/', parts[..i]));
                if (FileStat.Lstat(parent) is not { } ps) continue;
                if (ps.IsWhiteout || !ps.IsDirectory) return null;
                var x = FileStat.Xattrs(parent);
                if (x.TryGetValue("trusted.overlay.opaque", out var v) && v.AsSpan().SequenceEqual("y"u8)) return null;
            }
        }
        return null;
    }

    /// <summary>
    /// Resolves symlinks in the parent components of an absolute in-image path (the last
    /// component is kept), so a COPY into /bin/x of an image whose /bin links to usr/bin writes
    /// usr/bin/x instead of replacing the link with a directory.
    /// </summary>
    public string ResolveParents(string path)
    {
        var parts = PathGlob.Clean(path).Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (parts.Count == 0) return "";
        var last = parts[^1];
        var resolved = new List<string>();
        var pending = new Queue<string>(parts.Take(parts.Count - 1));
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Dequeue();
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            resolved.Add(part);
            var here = Lstat(string.Join('/', resolved));
            if (here is not { } h || !h.Stat.IsSymlink) continue;
            if (++hops > 40) throw new ImageException($"too many levels of symbolic links in {path}");
            var target = new FileInfo(Path.Combine(h.Layer, string.Join('/', resolved))).LinkTarget ?? "";
            resolved.RemoveAt(resolved.Count - 1);
            if (target.StartsWith('/')) resolved.Clear();
            var rest = pending.ToList();
            pending = new Queue<string>(target.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").Concat(rest));
        }
        resolved.Add(last);
        return string.Join('/', resolved);
    }
}

using System.Text.Json.Serialization;
using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Linux.Fs;

namespace Kapsel.Images;

/// <summary>What `image prune` removed.</summary>
public sealed class PruneReport
{
    /// <summary>index.json entries without a tag (dangling images), by digest.</summary>
    [JsonPropertyName("untagged")] public List<string> Untagged { get; set; } = [];
    [JsonPropertyName("blobs")] public List<PrunedItem> Blobs { get; set; } = [];
    [JsonPropertyName("layers")] public List<PrunedItem> Layers { get; set; } = [];
    /// <summary>Temp files and directories that crashed processes left behind.</summary>
    [JsonPropertyName("leftovers")] public List<PrunedItem> Leftovers { get; set; } = [];
    /// <summary>Layer directories nothing tags but a mount still uses (kept).</summary>
    [JsonPropertyName("layersInUse")] public List<string> LayersInUse { get; set; } = [];
    [JsonPropertyName("reclaimed")] public long Reclaimed => Blobs.Sum(b => b.Size) + Layers.Sum(l => l.Size) + Leftovers.Sum(l => l.Size);
}

public sealed record PrunedItem([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("size")] long Size);

[JsonSerializable(typeof(PruneReport))]
[JsonSourceGenerationOptions(WriteIndented = true)]
public sealed partial class PruneJsonContext : JsonSerializerContext;

/// <summary>
/// Garbage collection of the image store: untagged index entries, then every blob no tag
/// reaches, then every unpacked layer directory no tagged image lists (unless an overlay mount
/// in any mount namespace still uses it), then temp files of dead processes. Runs under the
/// exclusive <see cref="ImageGcLock"/>, so content another kapsel is pulling, loading or
/// importing (shared lock) is never taken; resumable partial downloads in ingest/ are left alone.
/// Built-in images' rootfs directories are images themselves and are never touched.
/// </summary>
public static class ImagePruner
{
    public static PruneReport Prune(ImageStore store, Action? waiting = null)
    {
        var report = new PruneReport();
        if (!Directory.Exists(Path.Combine(store.Directory, "oci"))) return report;
        using var gc = ImageGcLock.Exclusive(store.Directory, waiting);
        var layout = store.Oci.Layout;

        report.Untagged.AddRange(layout.RemoveUntagged().Select(d => d.DigestText));

        var keep = layout.ReachableBlobs();
        foreach (var digest in layout.Blobs.List().ToList())
        {
            if (keep.Contains(digest)) continue;
            var size = layout.Blobs.SizeOf(digest) ?? 0;
            if (layout.Blobs.Delete(digest)) report.Blobs.Add(new(digest.ToString(), size));
        }

        var layers = store.Oci.Layers;
        var usedDiffIds = UsedDiffIds(layout, keep);
        var mounted = MountedLowerDirs();
        foreach (var diffId in layers.List().ToList())
        {
            if (usedDiffIds.Contains(diffId)) continue;
            var path = layers.LayerPath(diffId);
            if (mounted.Contains(path)) { report.LayersInUse.Add(diffId.ToString()); continue; }
            var size = TreeSize(path);
            if (layers.Delete(diffId)) report.Layers.Add(new(diffId.ToString(), size));
        }

        RemoveLeftovers(layout.Blobs.BlobsDir, report);
        RemoveLeftovers(layers.Root, report);
        RemoveLeftovers(ImageStaging.Root(store), report);
        return report;
    }

    /// <summary>diff_ids of every image config among the reachable blobs.</summary>
    private static HashSet<Digest> UsedDiffIds(OciLayout layout, HashSet<Digest> reachable)
    {
        var result = new HashSet<Digest>();
        foreach (var digest in reachable)
        {
            if (!layout.Blobs.Exists(digest) || layout.Blobs.SizeOf(digest) > (4 << 20)) continue;
            byte[] bytes;
            try { bytes = layout.Blobs.ReadAllBytes(digest); } catch (ImageException) { continue; }
            if (bytes.Length == 0 || bytes[0] != (byte)'{') continue;
            ImageConfig config;
            try { config = OciJson.ParseConfig(bytes); } catch (ImageException) { continue; }
            foreach (var id in config.RootFs.DiffIds)
                if (Digest.TryParse(id, out var d)) result.Add(d);
        }
        return result;
    }

    /// <summary>Every overlay lowerdir mounted in any mount namespace on this host (containers mount privately).</summary>
    internal static HashSet<string> MountedLowerDirs()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var namespaces = new HashSet<string>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out _)) continue;
            try
            {
                var ns = new FileInfo(Path.Combine(proc, "ns/mnt")).LinkTarget;
                if (ns is null || !namespaces.Add(ns)) continue;
                foreach (var line in File.ReadLines(Path.Combine(proc, "mountinfo")))
                {
                    var at = line.IndexOf("lowerdir=", StringComparison.Ordinal);
                    if (at < 0) continue;
                    var value = line[(at + 9)..];
                    var end = value.IndexOf(',');
                    foreach (var dir in (end < 0 ? value : value[..end]).Split(':'))
                        result.Add(dir.Replace("\\040", " ").Trim());
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return result;
    }

    /// <summary>Temp entries named .tmp-…-PID-… or .tmp-PID-… whose process is gone, and half-deleted .del-… trees.</summary>
    private static void RemoveLeftovers(string dir, PruneReport report)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var path in Directory.EnumerateFileSystemEntries(dir, ".*").ToList())
        {
            var name = Path.GetFileName(path);
            var pid = name.Split('-').Skip(1).Select(p => int.TryParse(p, out var n) ? n : 0).FirstOrDefault(n => n > 0);
            var dead = name.StartsWith(".del-", StringComparison.Ordinal)
                || (name.StartsWith(".tmp-", StringComparison.Ordinal) && pid > 0 && !Directory.Exists($"/proc/{pid}"));
            if (!dead) continue;
            try
            {
                var size = TreeSize(path);
                if (Directory.Exists(path)) LayerStore.RemoveTree(path); else File.Delete(path);
                report.Leftovers.Add(new(name, size));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Bytes of regular files under a path (each inode once), without following links.</summary>
    internal static long TreeSize(string path)
    {
        var seen = new HashSet<(uint, uint, ulong)>();
        long total = 0;
        var stack = new Stack<string>([path]);
        while (stack.Count > 0)
        {
            var p = stack.Pop();
            FileStatus.Info st;
            try { st = FileStatus.Lstat(p); } catch (Linux.SyscallException) { continue; }
            if (st.Type == LayerFs.S_IFDIR)
            {
                try { foreach (var e in Directory.EnumerateFileSystemEntries(p)) stack.Push(e); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            else if (st.Type == LayerFs.S_IFREG && seen.Add((st.DeviceMajor, st.DeviceMinor, st.Inode))) total += st.Size;
        }
        return total;
    }
}

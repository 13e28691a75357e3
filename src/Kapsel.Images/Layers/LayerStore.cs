using Kapsel.Linux.Fs;
using Kapsel.Images.Content;
using Kapsel.Images.Layout;
using Kapsel.Linux.Interop;

namespace Kapsel.Images.Layers;

/// <summary>
/// Unpacked layers, one directory per layer under ROOT/&lt;diff_id hex&gt;, shared by every image
/// that has the layer and used as overlayfs lower dirs. A layer is unpacked once: into a temp
/// directory, its diff_id (the digest of the uncompressed tar) verified while streaming, then
/// renamed into place; any failure removes the temp directory. An flock per layer serialises
/// concurrent unpacks of the same layer across processes.
/// </summary>
public sealed class LayerStore
{
    public string Root { get; }

    public LayerStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string LayerPath(Digest diffId) => Path.Combine(Root, diffId.Hex);

    public bool Exists(Digest diffId) => Directory.Exists(LayerPath(diffId));

    public IEnumerable<Digest> List()
    {
        foreach (var dir in Directory.EnumerateDirectories(Root))
            if (Digest.TryParse("sha256:" + Path.GetFileName(dir), out var d)) yield return d;
    }

    /// <summary>
    /// Unpacks a layer (plain, gzip or zstd: detected) unless already present. Returns null when
    /// the layer was already there. Throws ImageException (nothing left behind) on any problem.
    /// </summary>
    public LayerUnpackResult? Unpack(Stream layer, Digest diffId, LayerUnpackOptions? options = null)
    {
        var final = LayerPath(diffId);
        if (Directory.Exists(final)) return null;
        using var lockFile = LockFile.Exclusive(Path.Combine(Root, "." + diffId.Hex + ".lock"));
        if (Directory.Exists(final)) return null;

        var temp = Path.Combine(Root, $".tmp-{diffId.Hex[..16]}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            var (decompressed, _) = Decompression.Open(layer, leaveOpen: true, (options ?? new LayerUnpackOptions()).Decompression);
            using var verifying = new VerifyingReadStream(decompressed, diffId, -1, $"layer {diffId} (diff_id)", verifyAtEof: false);
            // Verified after the tar: a truncated stream is reported as truncated, not as a digest mismatch.
            // Buffered: tar headers are read 512 bytes at a time.
            var result = LayerUnpacker.Unpack(new BufferedStream(verifying, 1 << 16), temp, options);
            verifying.DrainAndVerify(); // tar padding after the end marker is part of the diff_id
            Directory.Move(temp, final);
            return result;
        }
        catch
        {
            RemoveTree(temp);
            throw;
        }
    }

    /// <summary>Unpacks a layer blob from a content store, verifying the blob digest as well.</summary>
    public LayerUnpackResult? Unpack(ContentStore blobs, Descriptor layer, Digest diffId, LayerUnpackOptions? options = null)
    {
        if (Exists(diffId)) return null;
        using var blob = (VerifyingReadStream)blobs.OpenRead(layer.Digest, layer.Size);
        var result = Unpack(blob, diffId, options);
        if (result is not null) blob.DrainAndVerify();
        return result;
    }

    /// <summary>Overlay lowerdir order: topmost layer first (image layers are listed bottom first).</summary>
    public IReadOnlyList<string> LowerDirs(IEnumerable<Digest> diffIdsBottomFirst) =>
        diffIdsBottomFirst.Reverse().Select(LayerPath).ToList();

    public bool Delete(Digest diffId)
    {
        var path = LayerPath(diffId);
        if (!Directory.Exists(path)) return false;
        // Rename first so a half-deleted layer is never mistaken for a complete one.
        var doomed = Path.Combine(Root, $".del-{diffId.Hex[..16]}-{Guid.NewGuid():N}");
        Directory.Move(path, doomed);
        RemoveTree(doomed);
        return true;
    }

    /// <summary>Removes a tree without following symlinks (Directory.Delete unlinks links, it does not descend).</summary>
    internal static void RemoveTree(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}

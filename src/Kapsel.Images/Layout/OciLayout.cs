using Kapsel.Linux.Fs;
using Kapsel.Images.Content;
using Kapsel.Linux.Interop;

namespace Kapsel.Images.Layout;

/// <summary>
/// An OCI image layout directory: `oci-layout`, `index.json` and `blobs/sha256/`. Tags are
/// index.json entries annotated with org.opencontainers.image.ref.name (skopeo's `oci:DIR:NAME`).
/// index.json is rewritten atomically (temp + rename) under an flock, so concurrent taggers
/// don't lose each other's entries.
/// </summary>
public sealed class OciLayout
{
    public string Root { get; }
    public ContentStore Blobs { get; }
    private string IndexPath => Path.Combine(Root, "index.json");

    private OciLayout(string root, ContentStore blobs)
    {
        Root = root;
        Blobs = blobs;
    }

    /// <summary>Opens a layout, creating `oci-layout` and an empty `index.json` if missing.</summary>
    public static OciLayout Open(string root)
    {
        root = Path.GetFullPath(root);
        var store = new ContentStore(root);
        var marker = Path.Combine(root, "oci-layout");
        if (!File.Exists(marker))
            WriteAtomic(marker, OciJson.Serialize(new OciLayoutMarker(), OciJsonContext.Default.OciLayoutMarker));
        var layout = new OciLayout(root, store);
        if (!File.Exists(layout.IndexPath))
            WriteAtomic(layout.IndexPath, OciJson.Serialize(new ImageIndex { MediaType = MediaTypes.OciIndex }, OciJsonContext.Default.ImageIndex));
        return layout;
    }

    /// <summary>Opens an existing layout (as written by skopeo, podman or us) without creating anything.</summary>
    public static OciLayout OpenExisting(string root)
    {
        root = Path.GetFullPath(root);
        var marker = Path.Combine(root, "oci-layout");
        if (!File.Exists(marker)) throw new ImageException($"{root} is not an OCI image layout (no oci-layout file)");
        var version = OciJson.Parse(File.ReadAllBytes(marker), OciJsonContext.Default.OciLayoutMarker, $"{marker}").ImageLayoutVersion;
        if (!version.StartsWith("1.", StringComparison.Ordinal))
            throw new ImageException($"{marker}: imageLayoutVersion {version} is not supported");
        return new OciLayout(root, new ContentStore(root));
    }

    public ImageIndex ReadIndex() =>
        File.Exists(IndexPath) ? OciJson.ParseIndex(File.ReadAllBytes(IndexPath), IndexPath) : new ImageIndex { MediaType = MediaTypes.OciIndex };

    public IReadOnlyList<Descriptor> Manifests => ReadIndex().Manifests;

    /// <summary>The index.json entry tagged NAME, or null.</summary>
    public Descriptor? Find(string refName) => ReadIndex().Manifests.LastOrDefault(d => d.RefName == refName);

    /// <summary>Points NAME at a manifest or index (replacing what NAME pointed at).</summary>
    public void Tag(string refName, Descriptor target) => UpdateIndex(index =>
    {
        index.Manifests.RemoveAll(d => d.RefName == refName);
        index.Manifests.Add(target.With(refName: refName));
    });

    /// <summary>Adds an untagged entry (keeps the blob reachable), unless it is already listed.</summary>
    public void AddUntagged(Descriptor target) => UpdateIndex(index =>
    {
        if (!index.Manifests.Any(d => d.DigestText == target.DigestText && d.RefName is null)) index.Manifests.Add(target);
    });

    public bool Untag(string refName)
    {
        var removed = false;
        UpdateIndex(index => removed = index.Manifests.RemoveAll(d => d.RefName == refName) > 0);
        return removed;
    }

    /// <summary>Removes every entry (tagged or not) pointing at a digest; returns how many.</summary>
    public int RemoveAll(string digestText)
    {
        var removed = 0;
        UpdateIndex(index => removed = index.Manifests.RemoveAll(d => d.DigestText == digestText));
        return removed;
    }

    /// <summary>Removes every untagged entry (dangling images); returns them.</summary>
    public List<Descriptor> RemoveUntagged()
    {
        var removed = new List<Descriptor>();
        UpdateIndex(index =>
        {
            removed.AddRange(index.Manifests.Where(d => d.RefName is null));
            index.Manifests.RemoveAll(d => d.RefName is null);
        });
        return removed;
    }

    private void UpdateIndex(Action<ImageIndex> change)
    {
        using var lockFile = LockFile.Exclusive(Path.Combine(Root, "index.json.lock"));
        var index = ReadIndex();
        index.SchemaVersion = 2;
        index.MediaType ??= MediaTypes.OciIndex;
        change(index);
        WriteAtomic(IndexPath, OciJson.Serialize(index, OciJsonContext.Default.ImageIndex));
    }

    /// <summary>Stores a JSON document as a blob and returns its descriptor.</summary>
    public Descriptor PutJson(byte[] json, string mediaType) => Descriptor.For(mediaType, Blobs.Put(json), json.Length);

    /// <summary>
    /// Resolves a descriptor (manifest or index) to an image manifest for the platform; the
    /// returned descriptor is the platform manifest's.
    /// </summary>
    public (Descriptor Descriptor, ImageManifest Manifest) ResolveManifest(Descriptor target, PlatformSpec platform)
    {
        for (var depth = 0; depth < 4; depth++)
        {
            var bytes = Blobs.ReadAllBytes(target.Digest, target.Size);
            var mediaType = string.IsNullOrEmpty(target.MediaType) ? OciJson.DetectMediaType(bytes) : target.MediaType;
            if (MediaTypes.IsManifest(mediaType))
                return (target, OciJson.ParseManifest(bytes, $"manifest {target.Digest}"));
            if (!MediaTypes.IsIndex(mediaType))
                throw new ImageException($"{target.Digest}: media type {mediaType} is neither a manifest nor an index");
            var index = OciJson.ParseIndex(bytes, $"index {target.Digest}");
            target = platform.Select(index.Manifests)
                ?? throw new ImageException($"no manifest for platform {platform} in index {target.Digest} (has: {string.Join(", ", index.Manifests.Select(m => m.Platform?.ToString() ?? "?"))})");
        }
        throw new ImageException($"index nesting too deep at {target.Digest}");
    }

    public ImageConfig ReadConfig(ImageManifest manifest) =>
        OciJson.ParseConfig(Blobs.ReadAllBytes(manifest.Config.Digest, manifest.Config.Size), $"config {manifest.Config.Digest}");

    /// <summary>All blobs reachable from index.json (for garbage collection and export).</summary>
    public HashSet<Digest> ReachableBlobs()
    {
        var seen = new HashSet<Digest>();
        var stack = new Stack<Descriptor>(ReadIndex().Manifests);
        while (stack.Count > 0)
        {
            var d = stack.Pop();
            if (!seen.Add(d.Digest) || !Blobs.Exists(d.Digest)) continue;
            if (MediaTypes.IsIndex(d.MediaType))
                foreach (var m in OciJson.ParseIndex(Blobs.ReadAllBytes(d.Digest)).Manifests) stack.Push(m);
            else if (MediaTypes.IsManifest(d.MediaType))
            {
                var m = OciJson.ParseManifest(Blobs.ReadAllBytes(d.Digest));
                stack.Push(m.Config);
                foreach (var l in m.Layers) stack.Push(l);
            }
        }
        return seen;
    }

    /// <summary>Deletes blobs no index.json entry reaches; returns what was removed.</summary>
    public List<Digest> CollectGarbage()
    {
        var keep = ReachableBlobs();
        var removed = new List<Digest>();
        foreach (var d in Blobs.List().ToList())
            if (!keep.Contains(d) && Blobs.Delete(d)) removed.Add(d);
        return removed;
    }

    internal static void WriteAtomic(string path, byte[] content)
    {
        var temp = path + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}

using Kapsel.Images.Archive;
using Kapsel.Images.Content;
using Kapsel.Images.Layout;
using Kapsel.Images.References;
using Kapsel.Images.Registry;

namespace Kapsel.Images;

/// <summary>
/// A private OCI layout under IMAGES/staging/ where a load or import lands first. Only when
/// everything was read, verified and its layers unpacked (which also rejects hostile layers)
/// are the blobs moved (renamed: same filesystem) into the store and the tags written; a
/// failure leaves nothing in the store. Holds the shared <see cref="ImageGcLock"/> throughout.
/// </summary>
public sealed class ImageStaging : IDisposable
{
    private readonly ImageStore _store;
    private readonly ImageGcLock _lock;

    public string Dir { get; }
    public OciLayout Layout { get; }

    public static string Root(ImageStore store) => Path.Combine(store.Directory, "staging");

    public ImageStaging(ImageStore store)
    {
        _store = store;
        _lock = ImageGcLock.Shared(store.Directory);
        Dir = Path.Combine(Root(store), $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Dir);
            Layout = OciLayout.Open(Dir);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Unpacks the image's layers for this host's platform into the store (skipped when it has no such platform).</summary>
    public void Unpack(Descriptor target)
    {
        ImageManifest manifest;
        try { (_, manifest) = Layout.ResolveManifest(target, PlatformSpec.Default); }
        catch (ImageException) when (MediaTypes.IsIndex(target.MediaType)) { return; }
        var config = Layout.ReadConfig(manifest);
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
            throw new ImageException($"image {target.Digest.Short}: config lists {config.RootFs.DiffIds.Count} diff_ids for {manifest.Layers.Count} layers");
        ImagePuller.Unpack(Layout, manifest, config.RootFs.DiffIds.Select(Digest.Parse).ToList(), _store.Oci.Layers);
    }

    /// <summary>Moves every blob the entries reach into the store, then tags them (untagged entries stay listed, as dangling images).</summary>
    public void Commit(IReadOnlyList<(Descriptor Target, ImageName? Name)> entries)
    {
        var main = _store.Oci.Layout;
        foreach (var digest in OciArchive.Reachable(Layout, entries.Select(e => e.Target)))
        {
            if (main.Blobs.Exists(digest)) continue;
            File.Move(Layout.Blobs.BlobPath(digest), main.Blobs.BlobPath(digest), overwrite: true);
        }
        foreach (var (target, name) in entries)
        {
            var clean = target.With();
            clean.Annotations?.Remove(Descriptor.RefNameAnnotation);
            if (clean.Annotations is { Count: 0 }) clean.Annotations = null;
            if (name is not null) main.Tag(name.ToString(), clean);
            else main.AddUntagged(clean);
        }
    }

    public void Dispose()
    {
        try { ImageStore.DeleteTree(Dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _lock.Dispose();
    }
}

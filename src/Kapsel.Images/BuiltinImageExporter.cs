using System.IO.Compression;
using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;

namespace Kapsel.Images;

/// <summary>
/// Turns a built-in image (a plain rootfs directory) into an OCI image in the store's layout, so
/// it can be saved, pushed, tagged and exported like a pulled one: one gzip layer written by
/// <see cref="RootfsTarWriter"/> (deterministic, so the digests are stable), a config carrying
/// the image's defaults, and a manifest. The blobs are not tagged (prune may collect them; they
/// are made again, identically, on the next use); the manifest descriptor is remembered next to
/// the image's image.json so the tar is written once per built image.
/// </summary>
public static class BuiltinImageExporter
{
    public static Descriptor ToOci(OciLayout layout, LocalImage image, Action<string>? progress = null)
    {
        var imageDir = Path.GetDirectoryName(image.RootfsPath) ?? throw new ImageException($"{image.DisplayName}: no rootfs");
        var cache = Path.Combine(imageDir, "oci-manifest.json");
        if (File.Exists(cache) && Cached(layout, cache) is { } known) return known;

        progress?.Invoke($"{image.DisplayName}: writing the rootfs as a layer");
        var temp = layout.Blobs.TempPath();
        Digest diffId, blobDigest;
        long blobSize;
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var compressed = new HashingWriteStream(file, leaveOpen: true))
            {
                using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                using (var tar = new HashingWriteStream(gzip, leaveOpen: true))
                {
                    using var buffered = new BufferedStream(tar, 1 << 16);
                    RootfsTarWriter.Write(image.RootfsPath, buffered);
                    buffered.Flush();
                    diffId = tar.Digest();
                }
                blobDigest = compressed.Digest();
                blobSize = compressed.BytesWritten;
            }
            File.Move(temp, layout.Blobs.BlobPath(blobDigest), overwrite: true);
        }
        finally { File.Delete(temp); }

        var d = image.Defaults;
        var config = new ImageConfig
        {
            Created = image.Created,
            Architecture = "amd64",
            Os = "linux",
            Config = new ContainerConfig
            {
                Env = [.. d.Env],
                Cmd = d.Cmd.Count > 0 ? [.. d.Cmd] : null,
                Entrypoint = d.Entrypoint.Count > 0 ? [.. d.Entrypoint] : null,
                WorkingDir = d.WorkingDir,
                User = d.User,
            },
            RootFs = new RootFs { DiffIds = [diffId.ToString()] },
            History = [new HistoryEntry { Created = image.Created, CreatedBy = $"kapsel built-in image: {image.Source}" }],
        };
        var configDesc = layout.PutJson(OciJson.Serialize(config, OciJsonContext.Default.ImageConfig), MediaTypes.OciConfig);
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = configDesc,
            Layers = [Descriptor.For(MediaTypes.OciLayerGzip, blobDigest, blobSize)],
        };
        var manifestDesc = layout.PutJson(OciJson.Serialize(manifest, OciJsonContext.Default.ImageManifest), MediaTypes.OciManifest);
        manifestDesc.Platform = new Platform { Os = "linux", Architecture = "amd64" };
        OciLayout.WriteAtomic(cache, OciJson.Serialize(manifestDesc, OciJsonContext.Default.Descriptor));
        return manifestDesc;
    }

    /// <summary>The remembered manifest, if it and every blob it names are still in the store.</summary>
    private static Descriptor? Cached(OciLayout layout, string cache)
    {
        try
        {
            var desc = OciJson.Parse(File.ReadAllBytes(cache), OciJsonContext.Default.Descriptor, cache);
            if (!layout.Blobs.Exists(desc.Digest)) return null;
            var manifest = OciJson.ParseManifest(layout.Blobs.ReadAllBytes(desc.Digest, desc.Size));
            return manifest.Layers.Append(manifest.Config).All(b => layout.Blobs.Exists(b.Digest)) ? desc : null;
        }
        catch (ImageException) { return null; }
    }
}

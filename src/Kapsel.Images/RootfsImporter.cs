using System.IO.Compression;
using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images;

/// <summary>
/// `image import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer image.
/// The tar is stored as a gzip layer while its diff_id is hashed in the same pass, then unpacked
/// (which refuses hostile tars) before anything reaches the store.
/// </summary>
public static class RootfsImporter
{
    public static (Descriptor Manifest, Digest ImageId) Import(ImageStore store, Stream tarball, ImageName? name, string what, Action<string>? progress = null)
    {
        using var staging = new ImageStaging(store);
        var blobs = staging.Layout.Blobs;
        var temp = blobs.TempPath();
        Digest diffId, blobDigest;
        long blobSize;
        progress?.Invoke($"importing {what}");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var compressed = new HashingWriteStream(file, leaveOpen: true))
            {
                long tarBytes;
                using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                using (var tar = new HashingWriteStream(gzip, leaveOpen: true))
                {
                    var (decompressed, _) = Decompression.Open(tarball, leaveOpen: true);
                    try { decompressed.CopyTo(tar, 1 << 16); }
                    catch (InvalidDataException e) { throw new ImageException($"{what}: corrupt compressed data ({e.Message})"); }
                    tarBytes = tar.BytesWritten;
                    diffId = tar.Digest();
                }
                if (tarBytes == 0) throw new ImageException($"{what}: empty input, not a tar archive");
                blobDigest = compressed.Digest();
                blobSize = compressed.BytesWritten;
            }
            File.Move(temp, blobs.BlobPath(blobDigest), overwrite: true);
        }
        finally { File.Delete(temp); }

        var layer = Descriptor.For(MediaTypes.OciLayerGzip, blobDigest, blobSize);
        progress?.Invoke($"unpacking {what}");
        try { store.Oci.Layers.Unpack(blobs, layer, diffId); }
        catch (ImageException e) { throw new ImageException($"{what}: {e.Message}"); }

        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var config = new ImageConfig
        {
            Created = now, Architecture = "amd64", Os = "linux",
            Config = new ContainerConfig { Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
            RootFs = new RootFs { DiffIds = [diffId.ToString()] },
            History = [new HistoryEntry { Created = now, CreatedBy = "kapsel image import", Comment = $"imported from {what}" }],
        };
        var configDesc = staging.Layout.PutJson(OciJson.Serialize(config, OciJsonContext.Default.ImageConfig), MediaTypes.OciConfig);
        var manifest = new ImageManifest { MediaType = MediaTypes.OciManifest, Config = configDesc, Layers = [layer] };
        var manifestDesc = staging.Layout.PutJson(OciJson.Serialize(manifest, OciJsonContext.Default.ImageManifest), MediaTypes.OciManifest);
        staging.Commit([(manifestDesc, name)]);
        return (manifestDesc, configDesc.Digest);
    }
}

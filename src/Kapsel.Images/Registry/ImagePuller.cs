using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images.Registry;

/// <summary>A pulled (or local) image: its manifest, config, and the unpacked layer dirs.</summary>
public sealed record PulledImage(
    ImageName Name,
    Descriptor Target,          // what the tag points at (index or manifest)
    Descriptor Manifest,        // the platform manifest
    ImageManifest ManifestDocument,
    ImageConfig Config,
    IReadOnlyList<Digest> DiffIds,
    /// <summary>Overlay lowerdir order: topmost layer first (empty when layers were not unpacked).</summary>
    IReadOnlyList<string> LowerDirs);

/// <summary>
/// Pulls an image into an OCI layout (blobs verified, resumable, in parallel) and tags it
/// with its full reference; optionally unpacks every layer into a <see cref="LayerStore"/>.
/// </summary>
public sealed class ImagePuller(OciLayout layout, RegistryOptions? options = null)
{
    private readonly RegistryOptions _options = options ?? new RegistryOptions();

    public async Task<PulledImage> PullAsync(ImageName name, PlatformSpec? platform = null, LayerStore? layers = null,
        Action<TransferProgress>? progress = null, LayerUnpackOptions? unpack = null, CancellationToken ct = default)
    {
        var wanted = platform ?? PlatformSpec.Default;
        using var client = new RegistryClient(name.ApiHost, _options);
        var repo = name.Repository;

        var (bytes, mediaType, digest) = await client.GetManifestAsync(repo, name.ManifestReference, ct).ConfigureAwait(false);
        var target = layout.PutJson(bytes, mediaType);
        var manifestDescriptor = target;
        if (MediaTypes.IsIndex(mediaType))
        {
            var index = OciJson.ParseIndex(bytes, $"index {name}");
            var chosen = wanted.Select(index.Manifests)
                ?? throw new ImageException($"{name.Familiar}: no image for platform {wanted} (available: {string.Join(", ", index.Manifests.Select(m => m.Platform?.ToString() ?? "?"))})");
            var (mBytes, mType, _) = await client.GetManifestAsync(repo, chosen.DigestText, ct).ConfigureAwait(false);
            if (!MediaTypes.IsManifest(mType)) throw new ImageException($"{name.Familiar}: platform entry {chosen.Digest} is not an image manifest ({mType})");
            manifestDescriptor = layout.PutJson(mBytes, mType).With(platform: chosen.Platform);
            bytes = mBytes;
        }
        else if (!MediaTypes.IsManifest(mediaType))
            throw new ImageException($"{name.Familiar}: unsupported manifest type {mediaType}");
        _ = digest;
        var manifest = OciJson.ParseManifest(bytes, $"manifest {name}");

        // Config and layers in parallel, at most Parallelism at a time.
        using var gate = new SemaphoreSlim(Math.Max(1, _options.Parallelism));
        var blobs = new List<Descriptor> { manifest.Config };
        blobs.AddRange(manifest.Layers);
        foreach (var l in manifest.Layers) progress?.Invoke(new(l.DigestText, 0, l.Size, TransferPhase.Waiting));
        await Task.WhenAll(blobs.Select(async blob =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try { await client.FetchBlobAsync(repo, blob, layout.Blobs, progress, ct).ConfigureAwait(false); }
            finally { gate.Release(); }
        })).ConfigureAwait(false);

        var config = layout.ReadConfig(manifest);
        var diffIds = config.RootFs.DiffIds.Select(Digest.Parse).ToList();
        if (diffIds.Count != manifest.Layers.Count)
            throw new ImageException($"{name.Familiar}: config lists {diffIds.Count} diff_ids for {manifest.Layers.Count} layers");

        // Tag last: a tag always points at a complete image.
        layout.Tag(name.ToString(), target);
        var lower = layers is null ? [] : Unpack(layout, manifest, diffIds, layers, unpack);
        return new PulledImage(name, target, manifestDescriptor, manifest, config, diffIds, lower);
    }

    /// <summary>Unpacks an image's layers (each once) and returns the overlay lowerdir list, topmost first.</summary>
    public static IReadOnlyList<string> Unpack(OciLayout layout, ImageManifest manifest, IReadOnlyList<Digest> diffIds, LayerStore layers, LayerUnpackOptions? options = null)
    {
        for (var i = 0; i < manifest.Layers.Count; i++)
            layers.Unpack(layout.Blobs, manifest.Layers[i], diffIds[i], options);
        return layers.LowerDirs(diffIds);
    }
}

using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images.Registry;

/// <summary>Pushes an image (manifest or multi-platform index) from an OCI layout to a registry.</summary>
public sealed class ImagePusher(OciLayout layout, RegistryOptions? options = null)
{
    private readonly RegistryOptions _options = options ?? new RegistryOptions();

    /// <summary>
    /// Pushes what <paramref name="source"/> points at to <paramref name="destination"/>.
    /// <paramref name="mountFrom"/> names a repository on the same registry to mount shared blobs from.
    /// Returns the digest the tag now points at.
    /// </summary>
    public async Task<string> PushAsync(Descriptor source, ImageName destination, string? mountFrom = null,
        Action<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        using var client = new RegistryClient(destination.ApiHost, _options);
        var repo = destination.Repository;
        var bytes = layout.Blobs.ReadAllBytes(source.Digest, source.Size);
        var mediaType = string.IsNullOrEmpty(source.MediaType) ? OciJson.DetectMediaType(bytes) : source.MediaType;
        if (MediaTypes.IsIndex(mediaType))
        {
            foreach (var m in OciJson.ParseIndex(bytes).Manifests.Where(m => layout.Blobs.Exists(m.Digest)))
                await PushManifestAsync(client, repo, m, m.DigestText, mountFrom, progress, ct).ConfigureAwait(false);
            await client.PutManifestAsync(repo, destination.ManifestReference, bytes, mediaType, ct).ConfigureAwait(false);
        }
        else
            await PushManifestAsync(client, repo, source.With(), destination.ManifestReference, mountFrom, progress, ct).ConfigureAwait(false);
        return source.DigestText;
    }

    private async Task PushManifestAsync(RegistryClient client, string repo, Descriptor manifestDescriptor, string reference,
        string? mountFrom, Action<TransferProgress>? progress, CancellationToken ct)
    {
        var bytes = layout.Blobs.ReadAllBytes(manifestDescriptor.Digest, manifestDescriptor.Size);
        var mediaType = string.IsNullOrEmpty(manifestDescriptor.MediaType) ? OciJson.DetectMediaType(bytes) : manifestDescriptor.MediaType;
        var manifest = OciJson.ParseManifest(bytes);
        using var gate = new SemaphoreSlim(Math.Max(1, _options.Parallelism));
        await Task.WhenAll(manifest.Layers.Append(manifest.Config).Select(async blob =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try { await client.PushBlobAsync(repo, blob, layout.Blobs, mountFrom, progress, ct).ConfigureAwait(false); }
            finally { gate.Release(); }
        })).ConfigureAwait(false);
        await client.PutManifestAsync(repo, reference, bytes, mediaType, ct).ConfigureAwait(false);
    }
}

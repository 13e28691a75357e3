using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Build;

/// <summary>
/// An image as a build sees it between steps: config + layers, stored as a real manifest in
/// the layout (untagged until the end), so every step's result has a digest to chain the
/// cache on and can be tagged as is.
/// </summary>
public sealed record ImageState(Descriptor Manifest, ImageConfig Config, IReadOnlyList<Descriptor> Layers)
{
    public IReadOnlyList<Digest> DiffIds => Config.RootFs.DiffIds.Select(Digest.Parse).ToList();

    /// <summary>docker's image id: the config digest.</summary>
    public Digest Id(OciLayout layout) => ReadManifest(layout, Manifest).Config.Digest;

    /// <summary>Stores config and manifest blobs for a config and layer list.</summary>
    public static ImageState Write(OciLayout layout, ImageConfig config, IReadOnlyList<Descriptor> layers)
    {
        if (config.RootFs.DiffIds.Count != layers.Count)
            throw new ImageException($"internal: {config.RootFs.DiffIds.Count} diff_ids for {layers.Count} layers");
        var configDesc = layout.PutJson(OciJson.Serialize(config, OciJsonContext.Default.ImageConfig), MediaTypes.OciConfig);
        var manifest = new ImageManifest { MediaType = MediaTypes.OciManifest, Config = configDesc, Layers = [.. layers] };
        var manifestDesc = layout.PutJson(OciJson.Serialize(manifest, OciJsonContext.Default.ImageManifest), MediaTypes.OciManifest);
        return new ImageState(manifestDesc, config, layers);
    }

    /// <summary>Reads a stored state back; null when any of its blobs is gone (pruned).</summary>
    public static ImageState? TryRead(OciLayout layout, Descriptor manifest)
    {
        if (!layout.Blobs.Exists(manifest.Digest)) return null;
        var m = ReadManifest(layout, manifest);
        if (!layout.Blobs.Exists(m.Config.Digest) || m.Layers.Any(l => !layout.Blobs.Exists(l.Digest))) return null;
        return new ImageState(manifest, layout.ReadConfig(m), m.Layers);
    }

    private static ImageManifest ReadManifest(OciLayout layout, Descriptor d) =>
        OciJson.ParseManifest(layout.Blobs.ReadAllBytes(d.Digest, d.Size), $"manifest {d.Digest}");

    /// <summary>A deep copy of the config to change for the next step.</summary>
    public ImageConfig CloneConfig() =>
        OciJson.ParseConfig(OciJson.Serialize(Config, OciJsonContext.Default.ImageConfig));

    /// <summary>This state plus one layer (and its history entry) and a changed config.</summary>
    public ImageState WithLayer(OciLayout layout, ImageConfig config, LayerBlob layer, string createdBy, string? comment = null)
    {
        config.RootFs.DiffIds.Add(layer.DiffId.ToString());
        (config.History ??= []).Add(new HistoryEntry { Created = DateTimeOffset.UtcNow, CreatedBy = createdBy, Comment = comment });
        config.Created = DateTimeOffset.UtcNow;
        return Write(layout, config, [.. Layers, layer.Descriptor]);
    }

    /// <summary>This state with a changed config only (an empty_layer history entry).</summary>
    public ImageState WithConfig(OciLayout layout, ImageConfig config, string createdBy)
    {
        (config.History ??= []).Add(new HistoryEntry { Created = DateTimeOffset.UtcNow, CreatedBy = createdBy, EmptyLayer = true });
        config.Created = DateTimeOffset.UtcNow;
        return Write(layout, config, Layers);
    }

    /// <summary>Unpacks every layer into the layer store (once) and returns overlay lower dirs, topmost first.</summary>
    public IReadOnlyList<string> LowerDirs(OciLayout layout, LayerStore store)
    {
        var diffIds = DiffIds;
        for (var i = 0; i < Layers.Count; i++) store.Unpack(layout.Blobs, Layers[i], diffIds[i]);
        return store.LowerDirs(diffIds);
    }

    /// <summary>The runtime defaults the app level applies (Entrypoint/Cmd/Env/WorkingDir/User).</summary>
    public ImageDefaults Defaults
    {
        get
        {
            var c = Config.Config;
            return new ImageDefaults(c?.Entrypoint ?? [], c?.Cmd ?? [], c?.Env ?? [], c?.WorkingDir is { Length: > 0 } w ? w : null, c?.User is { Length: > 0 } u ? u : null);
        }
    }
}

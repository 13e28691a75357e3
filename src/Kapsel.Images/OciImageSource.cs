using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;
using Kapsel.Images.Registry;

namespace Kapsel.Images;

/// <summary>
/// Images from registries (and archives): manifests, configs and blobs in an OCI layout at
/// IMAGES/oci, each layer unpacked once into IMAGES/layers/DIFF_ID and shared by all images.
/// An image's root is then an overlay of its layer dirs, topmost first.
/// </summary>
public sealed class OciImageSource(string imagesDir)
{
    public OciLayout Layout => field ??= OciLayout.Open(Path.Combine(imagesDir, "oci"));
    public LayerStore Layers => field ??= new LayerStore(Path.Combine(imagesDir, "layers"));

    /// <summary>The image if it is in the layout (its layers unpacked now if needed), else null.</summary>
    public LocalImage? Find(ImageName name, PlatformSpec? platform = null)
    {
        if (!Directory.Exists(Path.Combine(imagesDir, "oci"))) return null;
        var target = Layout.Find(name.ToString());
        if (target is null) return null;
        var (descriptor, manifest) = Layout.ResolveManifest(target, platform ?? PlatformSpec.Default);
        var config = Layout.ReadConfig(manifest);
        var diffIds = config.RootFs.DiffIds.Select(Content.Digest.Parse).ToList();
        var lower = ImagePuller.Unpack(Layout, manifest, diffIds, Layers);
        return ToLocal(name, descriptor, config, lower, manifest);
    }

    /// <summary>Pulls from the image's registry into the layout and unpacks it.</summary>
    public LocalImage Pull(ImageName name, RegistryOptions? options, PlatformSpec? platform, Action<TransferProgress>? progress)
    {
        var pulled = new ImagePuller(Layout, options).PullAsync(name, platform, Layers, progress).GetAwaiter().GetResult();
        return ToLocal(name, pulled.Manifest, pulled.Config, pulled.LowerDirs, pulled.ManifestDocument);
    }

    /// <summary>Every tagged image in the layout (for `image ls`).</summary>
    public IEnumerable<LocalImage> List()
    {
        if (!Directory.Exists(Path.Combine(imagesDir, "oci"))) yield break;
        foreach (var d in Layout.Manifests.Where(d => d.RefName is not null))
        {
            if (!ImageName.TryParse(d.RefName!, out var name) || name is null) continue;
            var image = new LocalImage
            {
                Name = name.Name, Tag = name.TagOrLatest, Id = d.Digest.Hex,
                Source = $"registry {name.Registry}", Size = d.Size, Created = DateTimeOffset.MinValue,
            };
            try
            {
                // As docker lists them: the config digest as id, the layers' size, the config's creation time.
                var (_, manifest) = Layout.ResolveManifest(d, PlatformSpec.Default);
                var config = Layout.ReadConfig(manifest);
                image.Id = manifest.Config.Digest.Hex;
                image.Size = manifest.Layers.Sum(l => l.Size);
                image.Created = config.Created ?? DateTimeOffset.MinValue;
            }
            catch (ImageException) { } // another platform only, or a blob missing: list what index.json says
            yield return image;
        }
    }

    private static LocalImage ToLocal(ImageName name, Descriptor _, ImageConfig config, IReadOnlyList<string> lower, ImageManifest manifest)
    {
        var c = config.Config;
        return new LocalImage
        {
            Name = name.Name,
            Tag = name.TagOrLatest,
            Id = manifest.Config.Digest.Hex, // docker's image id: the config digest
            Source = $"registry {name.Registry}",
            Created = config.Created ?? DateTimeOffset.MinValue,
            Size = manifest.Layers.Sum(l => l.Size),
            RootfsPath = lower.FirstOrDefault() ?? "",
            LowerDirs = [.. lower],
            Defaults = new ImageDefaults(c?.Entrypoint ?? [], c?.Cmd ?? [], c?.Env ?? [], c?.WorkingDir is { Length: > 0 } w ? w : null, c?.User is { Length: > 0 } u ? u : null,
                c?.Volumes?.Keys.Order(StringComparer.Ordinal).ToList(), c?.StopSignal is { Length: > 0 } ss ? ss : null),
        };
    }
}

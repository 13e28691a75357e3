using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images.Build;

/// <summary>
/// What FROM (and COPY --from=IMAGE, and commit) start from, as an <see cref="ImageState"/>:
/// `scratch` (no layers), an image in the OCI layout (pulled if missing), or a built-in image,
/// whose plain rootfs is turned into one base layer by the same tar writer. That conversion is
/// done once per built-in image build and remembered in the build cache.
/// </summary>
public sealed class BaseImages(ImageStore store, BuildCache cache)
{
    private OciLayout Layout => store.Oci.Layout;

    public ImageState Resolve(string text, Action<string>? progress = null, PlatformSpec? platform = null)
    {
        if (text == "scratch") return Scratch();
        if (ImageStore.IsBuiltinName(text, out var builtin)) return FromBuiltin(store.Resolve(builtin, progress));
        var name = ImageName.Parse(text);
        var target = Layout.Find(name.ToString());
        if (target is null)
        {
            store.Resolve(text, progress, pull: true, platform); // pulls into the layout
            target = Layout.Find(name.ToString()) ?? throw new ImageException($"image \"{name.Familiar}\" not found after pulling it");
        }
        var (descriptor, manifest) = Layout.ResolveManifest(target, platform ?? PlatformSpec.Default);
        return new ImageState(descriptor, Layout.ReadConfig(manifest), manifest.Layers);
    }

    public ImageState Scratch() => ImageState.Write(Layout, new ImageConfig
    {
        Created = DateTimeOffset.UnixEpoch,
        Config = new ContainerConfig { Env = [DefaultPath] },
    }, []);

    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>A built-in image as a one-layer OCI image (its rootfs tarred, gzip'd and unpacked into the layer store once).</summary>
    public ImageState FromBuiltin(LocalImage image)
    {
        var key = "base-" + image.Id;
        if (cache.Get(Layout, key) is { } known && store.Oci.Layers.Exists(known.DiffIds[0])) return known;
        var layer = LayerBlobWriter.WriteDirectory(Layout.Blobs, image.RootfsPath, LayerSource.Rootfs);
        store.Oci.Layers.Unpack(Layout.Blobs, layer.Descriptor, layer.DiffId);
        var defaults = image.Defaults;
        var config = new ImageConfig
        {
            Created = image.Created,
            Config = new ContainerConfig
            {
                Env = [.. defaults.Env], Cmd = [.. defaults.Cmd],
                Entrypoint = defaults.Entrypoint.Count > 0 ? [.. defaults.Entrypoint] : null,
            },
            RootFs = new RootFs { DiffIds = [layer.DiffId.ToString()] },
            History = [new HistoryEntry { Created = image.Created, CreatedBy = $"kapsel built-in image {image.DisplayName} ({image.Source})" }],
        };
        var state = ImageState.Write(Layout, config, [layer.Descriptor]);
        cache.Put(key, state, $"FROM {image.DisplayName}");
        return state;
    }
}

using Kapsel.Images.Build;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Engine.Build;

/// <summary>What `kapsel commit` asks for.</summary>
public sealed record CommitRequest(string Instance, string? Tag, IReadOnlyList<string>? Changes = null, string? Message = null, string? Author = null);

/// <summary>
/// `kapsel commit`: an instance's overlay upper dir (its changes: new and changed files,
/// whiteouts for deleted ones, opaque dirs) becomes one new layer on top of the instance's
/// image, with the image's config plus any --change instructions, stored and tagged.
/// </summary>
public sealed class InstanceCommitter(KapselEngine engine)
{
    public ImageState Commit(CommitRequest request)
    {
        var instance = engine.Instances.Find(request.Instance)
            ?? throw new KapselException($"no such instance: {request.Instance}");
        var upper = Path.Combine(engine.Paths.InstanceDir(instance.Id), "upper");
        if (!Directory.Exists(upper))
            throw new KapselException($"instance {instance.Name} has no writable layer to commit (level {Instances.Instance.LevelName(instance.Level)}, or removed)");
        var name = request.Tag is { } t ? ImageName.Parse(t) : null;
        var images = engine.Images;
        var layout = images.Oci.Layout;

        var bases = new BaseImages(images, new BuildCache(Path.Combine(engine.Paths.Images, "build-cache")));
        var parent = bases.Resolve(instance.Image);
        var config = parent.CloneConfig();
        var cmdSet = true; // a --change ENTRYPOINT keeps the image's CMD unless CMD is changed too
        for (var i = 0; i < (request.Changes?.Count ?? 0); i++)
        {
            var x = ContainerfileParser.ParseInstruction(request.Changes![i].Trim(), i + 1, "--change");
            if (!ConfigInstructions.Handles(x.Keyword))
                throw new KapselException($"--change {x.Keyword}: only CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR (and HEALTHCHECK, SHELL) can be changed");
            ConfigInstructions.Apply(config, x, new ShellWords(ConfigInstructions.Lookup(config)), ref cmdSet);
        }
        if (request.Author is { } author) config.Author = author;

        var mountpoints = ImageBuilder.RuntimeMountpoints(upper, parent.LowerDirs(layout, images.Oci.Layers));
        var layer = LayerBlobWriter.WriteDirectory(layout.Blobs, upper, LayerSource.OverlayUpper, mountpoints);
        images.Oci.Layers.Unpack(layout.Blobs, layer.Descriptor, layer.DiffId);
        var state = parent.WithLayer(layout, config, layer, $"kapsel commit {instance.Name}", request.Message);
        if (name is not null) layout.Tag(name.ToString(), state.Manifest);
        else layout.AddUntagged(state.Manifest);
        return state;
    }
}

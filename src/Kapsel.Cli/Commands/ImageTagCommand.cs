using Kapsel.Images;
using Kapsel.Images.References;

namespace Kapsel.Cli.Commands;

/// <summary>`image tag SRC DST`: another name for the same image (a built-in image becomes an OCI image under that name).</summary>
public static class ImageTagCommand
{
    public static readonly ImageVerb Verb = new(["tag"], "SOURCE[:TAG]|ID TARGET[:TAG]",
        "Give an image another name (e.g. a registry name to push it to).", "", Run);

    private static int Run(CliContext ctx, ArgReader args)
    {
        var names = args.Positionals();
        if (names.Count != 2) throw new UsageException("\"kapsel image tag\" needs SOURCE and TARGET");
        var store = ctx.Engine.Images;
        if (ImageStore.IsBuiltinName(names[1], out _))
            throw new ImageException($"\"{names[1]}\" is the name of a built-in image; choose another name");
        var target = ImageName.Parse(names[1]);
        using var gc = ImageGcLock.Shared(store.Directory);
        var source = ImageTargets.Resolve(store, names[0], ctx.Progress.Report);
        ctx.Progress.Done();
        source.Layout.Tag(target.ToString(), source.Descriptor);
        return 0;
    }
}

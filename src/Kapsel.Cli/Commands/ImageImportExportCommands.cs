using Kapsel.Images;
using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Cli.Commands;

/// <summary>`image import` (a rootfs tarball becomes a one-layer image) and `image export` (an image as an OCI layout directory).</summary>
public static class ImageImportExportCommands
{
    public static readonly ImageVerb Import = new(["import"], "TARBALL|- [NAME[:TAG]]",
        "Make a one-layer image from a root filesystem tarball (plain, gzip or zstd; - reads stdin).", "", RunImport);

    public static readonly ImageVerb Export = new(["export"], "NAME|ID DIR",
        "Write an image as an OCI image layout directory (skopeo's oci:DIR), built-in images included.", """
        DIR must not exist or be empty. index.json names the image by its tag
        (org.opencontainers.image.ref.name) and its full name (io.containerd.image.name).
        """, RunExport);

    private static int RunImport(CliContext ctx, ArgReader args)
    {
        var names = args.Positionals();
        if (names.Count is < 1 or > 2) throw new UsageException("\"kapsel image import\" needs TARBALL (or -) and an optional NAME");
        ImageName? name = null;
        if (names.Count == 2)
        {
            if (ImageStore.IsBuiltinName(names[1], out _))
                throw new ImageException($"\"{names[1]}\" is the name of a built-in image; choose another name");
            name = ImageName.Parse(names[1]);
        }
        var path = names[0];
        if (path == "-" && !Console.IsInputRedirected) throw new UsageException("no tarball on stdin");
        if (path != "-" && !File.Exists(path)) throw new ImageException($"{path}: no such file");
        (Descriptor Manifest, Images.Content.Digest Id) result;
        try
        {
            using var input = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
            result = RootfsImporter.Import(ctx.Engine.Images, input, name, path == "-" ? "stdin" : path, ctx.Progress.Report);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"cannot import {path}: {e.Message}");
        }
        ctx.Progress.Done();
        Console.Out.WriteLine(result.Id.ToString());
        return 0;
    }

    private static int RunExport(CliContext ctx, ArgReader args)
    {
        var names = args.Positionals();
        if (names.Count != 2) throw new UsageException("\"kapsel image export\" needs NAME and DIR");
        var store = ctx.Engine.Images;
        using var gc = ImageGcLock.Shared(store.Directory);
        var target = ImageTargets.Resolve(store, names[0], ctx.Progress.Report);
        ctx.Progress.Report($"exporting {names[0]} to {names[1]}");
        var named = target.Tagged || target.Builtin is not null;
        try
        {
            LayoutExporter.Export(target.Layout, target.Descriptor, named ? target.Name.TagOrLatest : "latest",
                named ? target.Name.ToString() : null, names[1]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"cannot export to {names[1]}: {e.Message}");
        }
        ctx.Progress.Done();
        return 0;
    }
}

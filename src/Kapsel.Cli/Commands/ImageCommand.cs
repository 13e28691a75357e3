using System.Text.Json;
using Kapsel.Images;

namespace Kapsel.Cli.Commands;

public static class ImageCommand
{
    private const string Usage = """
        Usage: kapsel image COMMAND

        Commands:
          ls [--format table|json]   list local images
          pull NAME[:TAG]            make an image available (built-in: busybox, debian:SUITE)
          rm NAME[:TAG]...           remove images
        """;

    public static readonly Command Definition = new(["image"], "Manage images", Usage, Run);

    public static readonly Command ImagesAlias = new(["images"], "List images (same as image ls)",
        "Usage: kapsel images [--format table|json]", (ctx, args) => List(ctx, new ArgReader(args)));

    private static int Run(CliContext ctx, string[] argv)
    {
        if (argv.Length == 0) throw new UsageException("\"kapsel image\" needs a command (ls, pull, rm)");
        var args = new ArgReader(argv[1..]);
        return argv[0] switch
        {
            "ls" or "list" => List(ctx, args),
            "pull" => Pull(ctx, args),
            "rm" or "remove" => Remove(ctx, args),
            _ => throw new UsageException($"unknown image command \"{argv[0]}\""),
        };
    }

    private static int List(CliContext ctx, ArgReader args)
    {
        var json = Output.WantsJson(args);
        args.Positionals();
        var images = ctx.Engine.Images.List();
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(images, ImageJsonContext.Default.ListLocalImage));
            return 0;
        }
        Output.Table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SOURCE"],
            images.Select(i => (IReadOnlyList<string>)[i.Name, i.Tag, i.Id[..12], Output.Ago(i.Created), Output.Size(i.Size), i.Source]));
        return 0;
    }

    private static int Pull(CliContext ctx, ArgReader args)
    {
        var names = args.Positionals();
        if (names.Count != 1) throw new UsageException("\"kapsel image pull\" needs exactly one NAME[:TAG]");
        var image = ctx.Engine.Images.Resolve(ImageReference.Parse(names[0]), ctx.Progress.Report);
        ctx.Progress.Done();
        Console.Out.WriteLine($"{image.Reference} {image.Id[..12]}");
        return 0;
    }

    private static int Remove(CliContext ctx, ArgReader args)
    {
        var names = args.Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel image rm\" needs at least one NAME[:TAG]");
        foreach (var n in names)
        {
            ctx.Engine.Images.Remove(ImageReference.Parse(n));
            Console.Out.WriteLine($"Removed {n}");
        }
        return 0;
    }
}

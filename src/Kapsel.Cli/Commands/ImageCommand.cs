using System.Text.Json;
using Kapsel.Images;

namespace Kapsel.Cli.Commands;

public static class ImageCommand
{
    private const string Usage = """
        Usage: kapsel image COMMAND

        Commands:
          ls [--format table|json]   list local images
          pull NAME[:TAG] [--tls-verify=false] [--ca-file F]
                                     pull from a registry, or build a built-in image (busybox, debian:SUITE)
          rm NAME[:TAG]...           remove images
        """;

    public static readonly Command Definition = new(["image"], "Manage images", Usage, Run);

    public static readonly Command ImagesAlias = new(["images"], "List images (same as image ls)",
        "Usage: kapsel images [--format table|json]", (ctx, args) => List(ctx, new ArgReader(args)));

    public static readonly Command PullAlias = new(["pull"], "Pull an image (same as image pull)",
        "Usage: kapsel pull NAME[:TAG] [--tls-verify=false] [--ca-file F]", (ctx, args) => Pull(ctx, new ArgReader(args)));

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

    /// <summary>--tls-verify=false and --cert-dir/--ca-file, as podman/skopeo spell them.</summary>
    public static void ApplyRegistryFlags(CliContext ctx, ArgReader args)
    {
        var tls = args.Value("--tls-verify");
        var ca = args.Value("--ca-file");
        var store = ctx.Engine.Images;
        store.RegistryOptions = store.RegistryOptions with
        {
            TlsVerify = tls is null ? store.RegistryOptions.TlsVerify : tls is not ("false" or "0"),
            CaBundle = ca ?? store.RegistryOptions.CaBundle,
            AuthFile = store.RegistryOptions.AuthFile ?? Path.Combine(ctx.Paths.Root, "auth.json"),
        };
    }

    public static int Pull(CliContext ctx, ArgReader args)
    {
        ApplyRegistryFlags(ctx, args);
        var names = args.Positionals();
        if (names.Count != 1) throw new UsageException("\"kapsel image pull\" needs exactly one NAME[:TAG]");
        var image = ctx.Engine.Images.Resolve(names[0], ctx.Progress.Report);
        ctx.Progress.Done();
        Console.Out.WriteLine($"{image.DisplayName} {image.Id[..12]}");
        return 0;
    }

    private static int Remove(CliContext ctx, ArgReader args)
    {
        var names = args.Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel image rm\" needs at least one NAME[:TAG]");
        foreach (var n in names)
        {
            ctx.Engine.Images.Remove(n);
            Console.Out.WriteLine($"Removed {n}");
        }
        return 0;
    }
}

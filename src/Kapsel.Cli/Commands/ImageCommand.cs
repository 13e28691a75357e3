using System.Text.Json;
using Kapsel.Images;

namespace Kapsel.Cli.Commands;

/// <summary>One `kapsel image VERB`: its argument synopsis, summary, details for --help, and handler.</summary>
public sealed record ImageVerb(string[] Names, string Args, string Summary, string Details, Func<CliContext, ArgReader, int> Run)
{
    public string Usage(string prefix) =>
        $"Usage: {prefix} {Args}\n\n{Summary}\n" + (Details.Length > 0 ? "\n" + Details.TrimEnd() + "\n" : "");

    /// <summary>The same verb as a top-level command (`kapsel push` = `kapsel image push`).</summary>
    public Command Alias(string name) => new([name], Summary + $" (same as image {Names[0]})", Usage("kapsel " + name), (ctx, args) => Run(ctx, new ArgReader(args)));
}

public static class ImageCommand
{
    public const string RegistryFlagsHelp = """
          --tls-verify=false   accept any registry certificate (and plain HTTP)
          --ca-file FILE       PEM file with extra CA certificates for the registry
        """;

    public static readonly ImageVerb Ls = new(["ls", "list"], "[--format table|json]", "List local images.", "", List);

    public static readonly ImageVerb PullVerb = new(["pull"], "[--tls-verify=false] [--ca-file F] NAME[:TAG]",
        "Pull an image from a registry, or build a built-in image (busybox, debian:SUITE).", RegistryFlagsHelp, Pull);

    public static readonly ImageVerb Rm = new(["rm", "remove"], "NAME[:TAG]...",
        "Remove images (a registry image is untagged; `image prune` frees its blobs and layers).", "", Remove);

    /// <summary>Every image verb, in the order `kapsel image --help` lists them.</summary>
    public static IReadOnlyList<ImageVerb> Verbs =>
    [
        Ls, PullVerb, PushCommand.Verb, ImageInspectCommands.Inspect, ImageInspectCommands.History, ImageTagCommand.Verb, Rm,
        ImagePruneCommand.Verb, ImageSaveLoadCommands.Save, ImageSaveLoadCommands.Load,
        ImageImportExportCommands.Import, ImageImportExportCommands.Export,
    ];

    private static string Usage => "Usage: kapsel image COMMAND\n\nCommands:\n"
        + string.Concat(Verbs.Select(v => $"  {v.Names[0],-8} {v.Summary}\n"))
        + "\nRun 'kapsel image COMMAND --help' for a command's options.\n";

    public static readonly Command Definition = new(["image"], "Manage images", Usage, Run, HandlesHelp: true);

    public static readonly Command ImagesAlias = new(["images"], "List images (same as image ls)",
        "Usage: kapsel images [--format table|json]", (ctx, args) => List(ctx, new ArgReader(args)));

    public static readonly Command PullAlias = new(["pull"], "Pull an image (same as image pull)",
        PullVerb.Usage("kapsel pull"), (ctx, args) => Pull(ctx, new ArgReader(args)));

    private static int Run(CliContext ctx, string[] argv)
    {
        if (argv.Length == 0 || argv[0] is "--help" or "-h" or "help")
        {
            if (argv.Length == 0) throw new UsageException("\"kapsel image\" needs a command (" + string.Join(", ", Verbs.Select(v => v.Names[0])) + ")");
            Console.Out.Write(Usage);
            return 0;
        }
        var verb = Verbs.FirstOrDefault(v => v.Names.Contains(argv[0])) ?? throw new UsageException($"unknown image command \"{argv[0]}\"");
        var rest = argv[1..];
        if (rest.TakeWhile(a => a != "--").Any(a => a is "--help" or "-h"))
        {
            Console.Out.Write(verb.Usage("kapsel image " + verb.Names[0]));
            return 0;
        }
        return verb.Run(ctx, new ArgReader(rest));
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

    private static bool IsIdOf(ImageStore store, string text, out ImageTarget? target)
    {
        target = null;
        var hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        if (hex.Length < 12 || !hex.All(char.IsAsciiHexDigitLower)) return false;
        target = ImageTargets.Find(store, text);
        return target is not null;
    }

    public static int Remove(CliContext ctx, ArgReader args)
    {
        args.Flag("-f", "--force");
        var names = args.Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel image rm\" needs at least one NAME[:TAG]");
        var store = ctx.Engine.Images;
        return PerName.Each(names, n =>
        {
            try { store.Remove(n); }
            catch (ImageException) when (IsIdOf(store, n, out var byId))
            {
                // An image id: every name of that image goes (docker's `rmi ID`).
                store.Oci.Layout.RemoveAll(byId!.Descriptor.DigestText);
            }
            Console.Out.WriteLine($"Removed {n}");
        });
    }
}

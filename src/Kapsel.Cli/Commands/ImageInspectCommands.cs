using System.Text.Json;
using Kapsel.Images;

namespace Kapsel.Cli.Commands;

/// <summary>`image inspect` (JSON, docker's habit) and `image history`.</summary>
public static class ImageInspectCommands
{
    public static readonly ImageVerb Inspect = new(["inspect"], "[--format json] NAME|ID...",
        "Show images in detail as JSON: id, digest, tags, config, layers, size, created, platform.", "", RunInspect);

    public static readonly ImageVerb History = new(["history"], "[--format table|json] [--no-trunc] NAME|ID",
        "Show the steps an image was made of, newest first, with each layer's size.", "", RunHistory);

    private static int RunInspect(CliContext ctx, ArgReader args)
    {
        var format = args.Value("--format", "-f") ?? "json";
        if (format != "json") throw new UsageException($"unknown --format \"{format}\" (json)");
        var names = args.Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel image inspect\" needs at least one image");
        var (details, exit) = PerName.Collect(names, n => ImageInspector.Inspect(ctx.Engine.Images, n));
        Console.Out.WriteLine(JsonSerializer.Serialize(details, ImageDetailsJsonContext.Default.ListImageDetails));
        return exit;
    }

    private static int RunHistory(CliContext ctx, ArgReader args)
    {
        var json = Output.WantsJson(args);
        var noTrunc = args.Flag("--no-trunc");
        var names = args.Positionals();
        if (names.Count != 1) throw new UsageException("\"kapsel image history\" needs exactly one image");
        var lines = ImageInspector.History(ctx.Engine.Images, names[0]);
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(lines, ImageDetailsJsonContext.Default.ListHistoryLine));
            return 0;
        }
        Output.Table(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], lines.Select(l => (IReadOnlyList<string>)
        [
            l.Id, l.Created is { } c ? Output.Ago(c) : "", noTrunc || l.CreatedBy.Length <= 45 ? l.CreatedBy : l.CreatedBy[..44] + "…",
            Output.Size(l.Size), l.Comment,
        ]));
        return 0;
    }
}

using System.Text.Json;
using Kapsel.Images;

namespace Kapsel.Cli.Commands;

/// <summary>`image prune`: garbage-collect blobs and unpacked layers no tagged image uses.</summary>
public static class ImagePruneCommand
{
    public static readonly ImageVerb Verb = new(["prune"], "[-f] [--format table|json]",
        "Remove untagged images, and the blobs and unpacked layers no tagged image uses.", """
        Never touches what a tagged image uses, layers an overlay mount still uses, built-in
        images, or downloads in progress (waits for running pulls, loads and imports to finish).
          -f, --force    accepted for docker's habit (prune never asks)
        """, Run);

    private static int Run(CliContext ctx, ArgReader args)
    {
        args.Flag("-f", "--force", "-a", "--all");
        var json = Output.WantsJson(args);
        if (args.Positionals().Count > 0) throw new UsageException("\"kapsel image prune\" takes no arguments");
        var report = ImagePruner.Prune(ctx.Engine.Images, () => ctx.Progress.Report("waiting for another kapsel's pull, load or import to finish"));
        ctx.Progress.Done();
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(report, PruneJsonContext.Default.PruneReport));
            return 0;
        }
        foreach (var d in report.Untagged) Console.Out.WriteLine($"untagged: {d}");
        foreach (var b in report.Blobs) Console.Out.WriteLine($"deleted blob: {b.Name} ({Output.Size(b.Size)})");
        foreach (var l in report.Layers) Console.Out.WriteLine($"deleted layer: {l.Name} ({Output.Size(l.Size)})");
        foreach (var l in report.Leftovers) Console.Out.WriteLine($"deleted leftover: {l.Name} ({Output.Size(l.Size)})");
        foreach (var l in report.LayersInUse) Console.Out.WriteLine($"kept layer (mounted): {l}");
        Console.Out.WriteLine($"Total reclaimed space: {Output.Size(report.Reclaimed)}");
        return 0;
    }
}

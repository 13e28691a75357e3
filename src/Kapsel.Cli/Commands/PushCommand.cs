using Kapsel.Images;
using Kapsel.Images.References;
using Kapsel.Images.Registry;

namespace Kapsel.Cli.Commands;

/// <summary>`image push NAME [DEST]`: an image (a built-in one too) to a registry, layer by layer.</summary>
public static class PushCommand
{
    public static readonly ImageVerb Verb = new(["push"], "[--tls-verify=false] [--ca-file F] [-q] NAME[:TAG]|ID [DEST[:TAG]]",
        "Push an image to a registry (to NAME's own registry, or to DEST).", ImageCommand.RegistryFlagsHelp + """
          -q, --quiet          print only the pushed digest
        Credentials come from `kapsel login`. Blobs the registry has are skipped; blobs of an image
        pulled from another repository of the same registry are mounted from it, not uploaded.
        """, Run);

    private static int Run(CliContext ctx, ArgReader args)
    {
        ImageCommand.ApplyRegistryFlags(ctx, args);
        var quiet = args.Flag("-q", "--quiet");
        var names = args.Positionals();
        if (names.Count is < 1 or > 2) throw new UsageException("\"kapsel image push\" needs NAME and an optional DEST");
        var store = ctx.Engine.Images;
        var destination = ImageName.Parse(names.Count == 2 ? names[1] : names[0]);

        using var gc = ImageGcLock.Shared(store.Directory);
        var source = ImageTargets.Resolve(store, names[0], ctx.Progress.Report);
        var mountFrom = source.Tagged && source.Name.Registry == destination.Registry && source.Name.Repository != destination.Repository
            ? source.Name.Repository : null;

        var blobs = new Dictionary<string, TransferProgress>();
        var pusher = new ImagePusher(source.Layout, store.RegistryOptions);
        var digest = pusher.PushAsync(source.Descriptor, destination, mountFrom, p =>
        {
            lock (blobs)
            {
                blobs[p.Digest] = p;
                ctx.Progress.Report($"pushing {destination.Familiar}: " + string.Join("  ", blobs.Values.Select(Describe)));
            }
        }).GetAwaiter().GetResult();
        ctx.Progress.Done();

        if (quiet)
        {
            Console.Out.WriteLine(digest);
            return 0;
        }
        foreach (var b in blobs.Values)
        {
            var status = b.Phase switch
            {
                TransferPhase.Exists => "Layer already exists",
                TransferPhase.Mounted => $"Mounted from {mountFrom}",
                _ => "Pushed",
            };
            Console.Out.WriteLine($"{b.Digest[7..19]}: {status}");
        }
        Console.Out.WriteLine($"{destination.Familiar}: digest: {digest} size: {source.Descriptor.Size}");
        return 0;
    }

    private static string Describe(TransferProgress p) => p.Phase switch
    {
        TransferPhase.Uploading => $"{p.Digest[7..19]} {p.Done / 1048576.0:0.0}/{p.Total / 1048576.0:0.0}MB",
        TransferPhase.Exists => $"{p.Digest[7..19]} exists",
        TransferPhase.Mounted => $"{p.Digest[7..19]} mounted",
        TransferPhase.Done => $"{p.Digest[7..19]} done",
        _ => $"{p.Digest[7..19]} waiting",
    };
}

using Kapsel.Images;
using Kapsel.Linux.Host;

namespace Kapsel.Cli.Commands;

public static class SetupCommand
{
    public static readonly Command Definition = new(["setup"], "Install what Kapsel needs and prepare built-in images", """
        Usage: kapsel setup [--debian]

        Installs the missing host tools Kapsel runs (nft from nftables for networks, busybox from
        busybox-static; debootstrap with --debian) with apt-get and builds the built-in images
        (busybox; debian:bookworm with --debian). Needs root.
        Safe to run again: what is there already is kept.
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        var debian = args.Flag("--debian");
        args.Positionals();
        // What `kapsel compare` and a first `run` need; the rest is installed on first use anyway.
        foreach (var tool in debian ? new[] { HostTools.Nft, HostTools.Busybox, HostTools.Debootstrap } : [HostTools.Nft, HostTools.Busybox])
            Console.Out.WriteLine($"host tool {tool.Name}: {HostTools.Resolve(tool)} ({tool.Package})");
        foreach (var name in debian ? new[] { "busybox", "debian:bookworm" } : ["busybox"])
        {
            var image = ctx.Engine.Images.Resolve(ImageReference.Parse(name), ctx.Progress.Report);
            ctx.Progress.Done();
            Console.Out.WriteLine($"image {image.DisplayName}: ready ({Output.Size(image.Size)}, {image.Source})");
        }
        return 0;
    }
}

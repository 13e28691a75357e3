using Kapsel.Engine.Host;

namespace Kapsel.Cli.Commands;

/// <summary>`kapsel system check|prune`: host objects Kapsel made that no existing state knows about.</summary>
public static class SystemCommand
{
    private const string Usage = """
        Usage: kapsel system COMMAND

        Commands:
          check              list host objects Kapsel made that no existing root knows about:
                             links, nft tables and chains, instance cgroups, mounts (one per line)
          prune [--unowned]  remove them; --unowned also removes objects with no owner recorded
                             (an older Kapsel's bridges and its table "inet kapsel")

        Objects of another state root are never touched while that root exists (roots are
        registered in /run/kapsel-roots; docs/HOST-FACTS.md).
        """;

    public static readonly Command Definition = new(["system"], "Find and remove host objects no state knows about", Usage, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        if (argv.Length == 0) throw new UsageException("\"kapsel system\" needs a command (check, prune)");
        var args = new ArgReader(argv[1..]);
        var orphans = new HostOrphans(ctx.Engine);
        switch (argv[0])
        {
            case "check":
            {
                args.Positionals();
                var found = orphans.Find();
                foreach (var o in found) Console.Out.WriteLine(o.Unowned ? $"{o} [unowned]" : o.ToString());
                if (found.Count == 0) Console.Out.WriteLine("no orphans");
                return 0;
            }
            case "prune":
            {
                var unowned = args.Flag("--unowned");
                args.Positionals();
                var removed = orphans.Prune(unowned);
                foreach (var o in removed) Console.Out.WriteLine($"removed {o.Kind} {o.Name}");
                if (removed.Count == 0) Console.Out.WriteLine("nothing to prune");
                return 0;
            }
            default:
                throw new UsageException($"unknown command \"kapsel system {argv[0]}\" (check, prune)");
        }
    }
}

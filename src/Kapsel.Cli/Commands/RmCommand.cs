using Kapsel.Engine;

namespace Kapsel.Cli.Commands;

public static class RmCommand
{
    public static readonly Command Definition = new(["rm"], "Remove instances", """
        Usage: kapsel rm [-f] INSTANCE [INSTANCE...]

        Removes instances (by name or id) and everything they own on the host: filesystem,
        network attachments, anonymous volumes (named volumes stay).

        Options:
          -f, --force   kill a running instance first
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        var force = args.Flag("-f", "--force");
        var names = args.Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel rm\" needs at least one INSTANCE");
        return PerName.Each(names, name =>
        {
            ctx.Engine.Remove(InstanceArgs.Find(ctx, name), force);
            Console.Out.WriteLine(name);
        });
    }
}

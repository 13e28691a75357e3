using Kapsel.Engine.Instances;

namespace Kapsel.Cli.Commands;

/// <summary>start, stop, restart, kill, wait: docker's verbs on existing instances.</summary>
public static class LifecycleCommands
{
    public static readonly Command Start = new(["start"], "Start stopped instances in the background", """
        Usage: kapsel start INSTANCE [INSTANCE...]

        Starts created or stopped instances under a monitor, as `run -d` does.
        """, (ctx, argv) =>
        {
            var names = new ArgReader(argv).Positionals();
            return InstanceArgs.ForEach(ctx, names, "start", i => new InstanceControl(ctx.Engine).Start(i));
        });

    public static readonly Command Stop = new(["stop"], "Stop running instances", """
        Usage: kapsel stop [-t SECONDS] INSTANCE [INSTANCE...]

        Sends the stop signal (SIGTERM unless --stop-signal or the image said otherwise), waits,
        then kills with SIGKILL. A stopped instance is not restarted by its restart policy.

        Options:
          -t, --time SECONDS   how long to wait before SIGKILL (default: the instance's, 10)
        """, (ctx, argv) =>
        {
            var args = new ArgReader(argv);
            var timeout = Seconds(args.Value("-t", "--time"));
            return InstanceArgs.ForEach(ctx, args.Positionals(), "stop", i => new InstanceControl(ctx.Engine).Stop(i, timeout));
        });

    public static readonly Command Restart = new(["restart"], "Restart instances", """
        Usage: kapsel restart [-t SECONDS] INSTANCE [INSTANCE...]

        Stops (if running) and starts again in the background.
        """, (ctx, argv) =>
        {
            var args = new ArgReader(argv);
            var timeout = Seconds(args.Value("-t", "--time"));
            return InstanceArgs.ForEach(ctx, args.Positionals(), "restart", i =>
            {
                var control = new InstanceControl(ctx.Engine);
                control.Stop(i, timeout);
                control.Start(ctx.Engine.Instances.Get(i.Id) ?? i);
            });
        });

    public static readonly Command Kill = new(["kill"], "Send a signal to instances", """
        Usage: kapsel kill [-s SIGNAL] INSTANCE [INSTANCE...]

        Options:
          -s, --signal SIGNAL   name (KILL, SIGHUP) or number (default KILL)
        """, (ctx, argv) =>
        {
            var args = new ArgReader(argv);
            var text = args.Value("-s", "--signal") ?? "KILL";
            int signal;
            try { signal = Oci.Signals.Parse(text); }
            catch (Oci.OciException) { throw new UsageException($"unknown signal \"{text}\""); }
            return InstanceArgs.ForEach(ctx, args.Positionals(), "kill", i => new InstanceControl(ctx.Engine).Kill(i, signal));
        });

    public static readonly Command Wait = new(["wait"], "Wait for instances to stop and print their exit codes", """
        Usage: kapsel wait INSTANCE [INSTANCE...]
        """, (ctx, argv) =>
        {
            var names = new ArgReader(argv).Positionals();
            return InstanceArgs.ForEach(ctx, names, "wait", i => Console.Out.WriteLine(new InstanceControl(ctx.Engine).Wait(i)), echo: false);
        });

    private static TimeSpan? Seconds(string? text) =>
        text is null ? null : int.TryParse(text, out var s) && s >= 0 ? TimeSpan.FromSeconds(s) : throw new UsageException($"invalid time \"{text}\": expected seconds");
}

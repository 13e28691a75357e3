using Kapsel.Engine.Monitor;

namespace Kapsel.Cli.Commands;

/// <summary>`kapsel __monitor ID`: the per-instance monitor, started by `run -d`/`start`; not for people.</summary>
public static class MonitorCommand
{
    public static readonly Command Definition = new([MonitorProcess.CommandName], "", "Usage: (internal) kapsel __monitor INSTANCE-ID",
        (ctx, args) =>
        {
            if (args.Length != 1) throw new UsageException("__monitor needs an instance id");
            return new InstanceMonitor(ctx.Engine, args[0]).Run(MonitorProcess.ReadyFd);
        });
}

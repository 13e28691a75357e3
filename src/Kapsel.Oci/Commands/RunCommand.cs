using Kapsel.Oci.Runtime;

namespace Kapsel.Oci.Commands;

/// <summary>
/// run [create flags] [--detach] [--keep] ID: create + start. In the foreground it waits, forwards
/// signals, deletes the container afterwards (unless --keep) and exits with the container's code.
/// </summary>
public static class RunCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "run", CreateCommand.ValueFlags, CreateCommand.BoolFlags);
        var options = CreateCommand.Options(cl, "run");
        using var console = options.ConsoleSocket is null && !cl.Has("detach") && TerminalRequested(ctx, options.Bundle)
            ? new ForegroundConsole(ctx.Root, options.Id) : null;
        if (console is not null) options = options with { ConsoleSocket = console.SocketPath };
        using var child = ContainerCreator.Create(ctx, options);
        console?.Accept();
        try { ContainerOps.Start(ctx, options.Id); }
        catch
        {
            ContainerOps.Delete(ctx, options.Id, force: true);
            throw;
        }
        if (cl.Has("detach")) return 0;
        int code;
        using (SignalForwarding.To(sig => child.Signal(sig)))
        {
            console?.Relay();
            code = child.Wait().Code;
        }
        if (!cl.Has("keep")) ContainerOps.Delete(ctx, options.Id, force: true);
        return code;
    }

    /// <summary>A cheap look at process.terminal before the full load in create (which validates everything).</summary>
    private static bool TerminalRequested(RuntimeContext ctx, string bundle)
    {
        try
        {
            return ctx.LoadConfig(Path.Combine(Path.GetFullPath(bundle), "config.json"), keep: true).Spec.Process?.Terminal == true;
        }
        catch (Exception e) when (e is OciException or IOException) { return false; } // create reports it properly
    }
}

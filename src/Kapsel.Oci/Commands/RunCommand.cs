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
        using var child = ContainerCreator.Create(ctx, options);
        try { ContainerOps.Start(ctx, options.Id); }
        catch
        {
            ContainerOps.Delete(ctx, options.Id, force: true);
            throw;
        }
        if (cl.Has("detach")) return 0;
        int code;
        using (SignalForwarding.To(sig => child.Signal(sig)))
            code = child.Wait().Code;
        if (!cl.Has("keep")) ContainerOps.Delete(ctx, options.Id, force: true);
        return code;
    }
}

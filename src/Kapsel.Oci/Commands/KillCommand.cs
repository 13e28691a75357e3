using Kapsel.Oci.Runtime;

namespace Kapsel.Oci.Commands;

/// <summary>kill [--all] ID [SIGNAL]: SIGTERM by default; names ("KILL", "SIGKILL") or numbers.</summary>
public static class KillCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "kill", [], ["all|a"]);
        var id = cl.Id("kill");
        var signal = cl.Positionals.Count > 1 ? Signals.Parse(cl.Positionals[1]) : 15;
        ContainerOps.Kill(ctx, id, signal, cl.Has("all"));
        return 0;
    }
}

using Kapsel.Oci.Runtime;

namespace Kapsel.Oci.Commands;

/// <summary>start ID: lets a created container run its program.</summary>
public static class StartCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "start", [], []);
        ContainerOps.Start(ctx, cl.Id("start"));
        return 0;
    }
}

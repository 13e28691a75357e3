using Kapsel.Oci.Runtime;

namespace Kapsel.Oci.Commands;

/// <summary>delete [--force] ID: removes a stopped (or created) container; --force kills a running one first.</summary>
public static class DeleteCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "delete", [], ["force|f"]);
        ContainerOps.Delete(ctx, cl.Id("delete"), cl.Has("force"));
        return 0;
    }
}

using Kapsel.Oci.Runtime;

namespace Kapsel.Oci.Commands;

/// <summary>pause ID / resume ID: the cgroup freezer.</summary>
public static class PauseCommand
{
    public static int Run(RuntimeContext ctx, string[] args, bool pause)
    {
        var name = pause ? "pause" : "resume";
        var cl = CommandLine.Parse(args, name, [], []);
        var id = cl.Id(name);
        using var _ = ctx.Store.Lock(id);
        var (state, status) = ContainerOps.Load(ctx, id);
        var expected = pause ? ContainerStatus.Running : ContainerStatus.Paused;
        if (status != expected) throw new OciException($"cannot {name} container \"{id}\": it is {LiveStatus.Name(status)}");
        var cg = ContainerOps.CgroupOf(state) ?? throw new OciException($"{name}: container \"{id}\" has no cgroup");
        if (pause) cg.Freeze(); else cg.Thaw();
        return 0;
    }
}

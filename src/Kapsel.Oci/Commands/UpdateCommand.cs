using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Commands;

/// <summary>update [-r FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--pids-limit N] [--cpu-quota N] [--cpu-period N] [--cpu-shares N] [--cpuset-cpus L] [--cpuset-mems L] [--blkio-weight N] ID</summary>
public static class UpdateCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "update",
            ["resources|r", "memory", "memory-swap", "memory-reservation", "kernel-memory", "kernel-memory-tcp", "pids-limit", "cpu-quota", "cpu-period",
             "cpu-shares", "cpu-rt-runtime", "cpu-rt-period", "cpuset-cpus", "cpuset-mems", "blkio-weight", "l3-cache-schema", "mem-bw-schema", "cpu-idle"], []);
        var id = cl.Id("update");
        var res = new ResourcesSpec();
        if (cl.Get("resources") is { } file)
        {
            var text = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
            var warnings = new List<string>();
            res = SpecLoader.Parse(text, OciJsonContext.Default.ResourcesSpec, warnings, "resources");
            foreach (var w in warnings) ctx.Warn(w);
        }
        long? L(string n) => cl.Get(n) is { } v ? long.TryParse(v, out var x) ? x : throw new OciException($"update: --{n} \"{v}\" is not a number") : null;
        if (L("memory") is { } mem) (res.Memory ??= new()).Limit = mem;
        if (L("memory-swap") is { } swap) (res.Memory ??= new()).Swap = swap;
        if (L("memory-reservation") is { } resv) (res.Memory ??= new()).Reservation = resv;
        if (L("pids-limit") is { } pids) res.Pids = new PidsSpec { Limit = pids };
        if (L("cpu-quota") is { } quota) (res.Cpu ??= new()).Quota = quota;
        if (L("cpu-period") is { } period) (res.Cpu ??= new()).Period = (ulong)period;
        if (L("cpu-shares") is { } shares) (res.Cpu ??= new()).Shares = (ulong)shares;
        if (L("cpu-idle") is { } idle) (res.Cpu ??= new()).Idle = idle;
        if (cl.Get("cpuset-cpus") is { } cpus) (res.Cpu ??= new()).Cpus = cpus;
        if (cl.Get("cpuset-mems") is { } mems) (res.Cpu ??= new()).Mems = mems;
        if (L("blkio-weight") is { } bw) (res.BlockIo ??= new()).Weight = (ushort)bw;
        SpecValidator.ValidateResources(res, "update", "resources");

        using var _ = ctx.Store.Lock(id);
        var (state, status) = ContainerOps.Load(ctx, id);
        if (status == ContainerStatus.Stopped) throw new OciException($"cannot update container \"{id}\": it is stopped");
        var cg = ContainerOps.CgroupOf(state) ?? throw new OciException($"update: container \"{id}\" has no cgroup");
        foreach (var warning in cg.Apply(CgroupBinding.Map(res))) ctx.Warn(warning);
        return 0;
    }
}

using System.Text.Json;
using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Commands;

/// <summary>ps [--format table|json] ID: the processes in the container's cgroup (json: a list of host pids, as containerd expects).</summary>
public static class PsCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "ps", ["format|f"], []);
        var id = cl.Id("ps");
        var (state, status) = ContainerOps.Load(ctx, id);
        var pids = status == ContainerStatus.Stopped ? [] : ContainerOps.CgroupOf(state)?.Pids().Order().ToList() ?? [];
        if (cl.Get("format") is "json")
        {
            ctx.Out.WriteLine(JsonSerializer.Serialize(pids, OciJsonContext.Default.ListInt32));
            return 0;
        }
        if (cl.Get("format") is { } f && f != "table") throw new OciException($"ps: unknown format \"{f}\" (table or json)");
        ctx.Out.WriteLine("PID\tCMD");
        foreach (var pid in pids)
        {
            string cmd;
            try { cmd = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); }
            catch (IOException) { continue; }
            ctx.Out.WriteLine($"{pid}\t{cmd}");
        }
        return 0;
    }
}

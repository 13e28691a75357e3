using System.Text.Json;
using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Commands;

/// <summary>events [--stats] [--interval 5s] ID: resource statistics as JSON lines (once with --stats, else every interval until the container stops).</summary>
public static class EventsCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "events", ["interval"], ["stats"]);
        var id = cl.Id("events");
        var interval = ParseInterval(cl.Get("interval") ?? "5s");
        while (true)
        {
            var (state, status) = ContainerOps.Load(ctx, id);
            if (status == ContainerStatus.Stopped) return cl.Has("stats") ? throw new OciException($"events: container \"{id}\" is stopped") : 0;
            var stats = ContainerOps.CgroupOf(state)?.Stats();
            var doc = new EventDocument
            {
                Type = "stats", Id = id,
                Data = new EventStats
                {
                    Cpu = stats?.Cpu is { } c ? new Spec.CpuStats { Usage = new CpuUsage { Total = c.UsageTotalNs, User = c.UsageUserNs, Kernel = c.UsageSystemNs } } : null,
                    Memory = stats?.Memory is { } m ? new Spec.MemoryStats { Usage = new MemoryEntry { Usage = m.Usage.Usage, Limit = m.Usage.Limit ?? 0 } } : null,
                    Pids = stats?.Pids is { } p ? new Spec.PidsStats { Current = p.Current, Limit = p.Limit ?? 0 } : null,
                },
            };
            ctx.Out.WriteLine(JsonSerializer.Serialize(doc, OciJsonContext.Default.EventDocument));
            ctx.Out.Flush();
            if (cl.Has("stats")) return 0;
            Thread.Sleep(interval);
        }
    }

    private static TimeSpan ParseInterval(string text)
    {
        var t = text.Trim();
        double Num(string s) => double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new OciException($"events: --interval \"{text}\" is not a duration like 5s");
        if (t.EndsWith("ms", StringComparison.Ordinal)) return TimeSpan.FromMilliseconds(Num(t[..^2]));
        if (t.EndsWith('s')) return TimeSpan.FromSeconds(Num(t[..^1]));
        if (t.EndsWith('m')) return TimeSpan.FromMinutes(Num(t[..^1]));
        return TimeSpan.FromSeconds(Num(t));
    }
}

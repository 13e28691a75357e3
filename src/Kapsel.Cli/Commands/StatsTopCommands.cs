using System.Globalization;
using Kapsel.Engine;
using Kapsel.Engine.Instances;

namespace Kapsel.Cli.Commands;

/// <summary>`stats` (cgroup usage, docker's columns) and `top` (the instance's processes).</summary>
public static class StatsTopCommands
{
    public static readonly Command Stats = new(["stats"], "Show resource usage of running instances", """
        Usage: kapsel stats [--no-stream] [INSTANCE...]

        CPU %, memory usage/limit, PIDs of running instances (all when none is named), from their
        cgroups. Refreshes every second until Ctrl-C unless --no-stream.
        """, (ctx, argv) =>
        {
            var args = new ArgReader(argv);
            var once = args.Flag("--no-stream");
            var names = args.Positionals();
            var instances = names.Count > 0 ? names.Select(n => InstanceArgs.Find(ctx, n)).ToList()
                : ctx.Engine.ListInstances().Where(InstanceControl.IsRunning).ToList();
            var cgroups = instances.ToDictionary(i => i.Id, i => InstanceCgroup.Of(ctx.Engine, i));
            var before = cgroups.ToDictionary(c => c.Key, c => c.Value.Stats().Cpu?.UsageTotalNs ?? 0);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            do
            {
                Thread.Sleep(once ? 500 : 1000); // CPU % needs two samples
                var elapsedNs = clock.Elapsed.TotalMilliseconds * 1e6;
                clock.Restart();
                var rows = new List<IReadOnlyList<string>>();
                foreach (var i in instances)
                {
                    var s = cgroups[i.Id].Stats();
                    var cpu = s.Cpu?.UsageTotalNs ?? 0;
                    var percent = (cpu - before[i.Id]) / elapsedNs * 100;
                    before[i.Id] = cpu;
                    var mem = s.Memory is { } m ? m.Usage.Usage - Math.Min(m.Usage.Usage, m.InactiveFile) : 0;
                    var limit = s.Memory?.Usage.Limit is { } l && l < (1UL << 60) ? Output.Size((long)l) : "unlimited";
                    rows.Add([i.ShortId, i.Name, percent.ToString("0.00", CultureInfo.InvariantCulture) + "%",
                        $"{Output.Size((long)mem)} / {limit}", s.Pids?.Current.ToString(CultureInfo.InvariantCulture) ?? "-"]);
                }
                if (!once) Console.Out.Write("\x1b[H\x1b[2J");
                Output.Table(["INSTANCE ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "PIDS"], rows);
            } while (!once);
            return 0;
        });

    public static readonly Command Top = new(["top"], "List the processes of a running instance", """
        Usage: kapsel top INSTANCE

        Every process in the instance's cgroup: host PID, user, state, command line.
        """, (ctx, argv) =>
        {
            var names = new ArgReader(argv).Positionals();
            if (names.Count != 1) throw new UsageException("\"kapsel top\" needs exactly one INSTANCE");
            var instance = InstanceArgs.Find(ctx, names[0]);
            var rows = new List<IReadOnlyList<string>>();
            foreach (var pid in InstanceCgroup.Of(ctx.Engine, instance).Pids().Order())
            {
                try
                {
                    var status = File.ReadAllLines($"/proc/{pid}/status");
                    string Field(string key) => status.FirstOrDefault(l => l.StartsWith(key + ":"))?.Split('\t', 2)[1].Trim() ?? "";
                    var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
                    rows.Add([pid.ToString(CultureInfo.InvariantCulture), Field("Uid").Split('\t')[0], Field("State"),
                        cmdline.Length > 0 ? cmdline : $"[{Field("Name")}]"]);
                }
                catch (IOException) { } // exited meanwhile
            }
            Output.Table(["PID", "UID", "STATE", "COMMAND"], rows);
            return 0;
        });
}

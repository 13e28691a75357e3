using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kapsel.Engine;
using Kapsel.Engine.Drivers;
using Kapsel.Engine.Instances;
using Kapsel.Images;
using Kapsel.Linux.Interop;

namespace Kapsel.Cli.Commands;

/// <summary>
/// The measured comparison of the levels: start-to-exit time of /bin/true, and what each level
/// really separates, found by probing the namespaces from inside an instance and comparing them
/// with the host's (not by reading a table). Levels not built yet are listed as such.
/// </summary>
public static class CompareCommand
{
    private static readonly string[] Namespaces = ["pid", "net", "ipc", "uts", "user", "mnt", "cgroup"];

    public static readonly Command Definition = new(["compare"], "Measure and compare the isolation levels", """
        Usage: kapsel compare [--runs N] [--format table|json]

        Sets up what is needed (as `kapsel setup`), then for every level measures the median
        time to create, run /bin/true and remove an instance (N runs, default 20), and probes
        from inside an instance which host namespaces it shares. Needs root.
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        var runs = int.TryParse(args.Value("--runs") ?? "20", out var r) && r > 0 ? r : throw new UsageException("--runs needs a positive number");
        var json = Output.WantsJson(args);
        args.Positionals();

        var image = ctx.Engine.Images.Resolve(ImageReference.Parse("busybox"), ctx.Progress.Report);
        ctx.Progress.Done();
        var report = new CompareReport(image.DisplayName, runs, []);
        foreach (var level in Enum.GetValues<InstanceLevel>())
            report.Levels.Add(Measure(ctx.Engine, level, runs, ctx.Progress));
        ctx.Progress.Done();

        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Default.CompareReport));
            return 0;
        }
        Console.Out.WriteLine($"Kapsel levels compared on this host (image {report.Image}, {runs} runs each, medians):\n");
        Output.Table(["LEVEL", "START+EXIT", .. Namespaces.Select(n => n.ToUpperInvariant()), "ROOT IS HOST ROOT", "NOTES"],
            report.Levels.Select(l => (IReadOnlyList<string>)[
                l.Level,
                l.MedianMilliseconds is { } ms ? $"{ms:0.0} ms" : "-",
                .. Namespaces.Select(n => l.SharedWithHost is null ? "-" : l.SharedWithHost.Contains(n) ? "shared" : "own"),
                l.RootIsHostRoot is null ? "-" : l.RootIsHostRoot.Value ? "yes" : "no",
                l.Note]));
        Console.Out.WriteLine("\n\"shared\" = the instance uses the host's namespace of that kind (measured from inside it).");
        return 0;
    }

    private static LevelReport Measure(KapselEngine engine, InstanceLevel level, int runs, Progress progress)
    {
        var name = Instance.LevelName(level);
        IInstanceDriver driver;
        try { driver = engine.Driver(level); }
        catch (KapselException) { return new LevelReport(name, null, null, null, "not built yet in this version"); }

        var runner = new ForegroundRunner(engine);
        var (devNull, _) = (FileCalls.Open("/dev/null", FileCalls.O_RDWR), 0);
        try
        {
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                progress.Report($"{name}: run {i + 1}/{runs}");
                var sw = Stopwatch.StartNew();
                runner.Run(new RunRequest(level, "busybox", ["/bin/true"], AutoRemove: true), stdio: new InstanceStdio(devNull, devNull, devNull));
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            var probe = Probe(runner, level, devNull);
            var hostNs = Namespaces.ToDictionary(n => n, n => new FileInfo($"/proc/self/ns/{n}").LinkTarget ?? "");
            var shared = Namespaces.Where(n => probe.TryGetValue(n, out var v) && v == hostNs[n]).ToList();
            var rootIsHostRoot = probe.GetValueOrDefault("uid") == "0" && shared.Contains("user");
            return new LevelReport(name, times[times.Count / 2], shared, rootIsHostRoot, driver.Isolation.Summary);
        }
        finally { FileCalls.Close(devNull); }
    }

    /// <summary>Runs a shell inside an instance that prints its namespace ids and uid.</summary>
    private static Dictionary<string, string> Probe(ForegroundRunner runner, InstanceLevel level, int devNull)
    {
        var (read, write) = FileCalls.Pipe();
        try
        {
            var script = string.Join("; ", Namespaces.Select(n => $"echo {n}=$(readlink /proc/self/ns/{n})")) + "; echo uid=$(id -u)";
            runner.Run(new RunRequest(level, "busybox", ["/bin/sh", "-c", script], AutoRemove: true), stdio: new InstanceStdio(devNull, write, devNull));
            FileCalls.Close(write);
            write = -1;
            var buffer = new byte[4096];
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, FileCalls.ReadFull(read, buffer));
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0], p => p[1]);
        }
        finally
        {
            FileCalls.Close(read);
            FileCalls.Close(write);
        }
    }
}

public sealed record CompareReport(
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("runs")] int Runs,
    [property: JsonPropertyName("levels")] List<LevelReport> Levels);

public sealed record LevelReport(
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("medianMilliseconds")] double? MedianMilliseconds,
    [property: JsonPropertyName("sharedWithHost")] List<string>? SharedWithHost,
    [property: JsonPropertyName("rootIsHostRoot")] bool? RootIsHostRoot,
    [property: JsonPropertyName("note")] string Note);

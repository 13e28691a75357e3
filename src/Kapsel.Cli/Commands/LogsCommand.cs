using Kapsel.Engine;
using Kapsel.Engine.Instances;
using Kapsel.Engine.Monitor;

namespace Kapsel.Cli.Commands;

public static class LogsCommand
{
    public static readonly Command Definition = new(["logs"], "Show an instance's output", """
        Usage: kapsel logs [-f] [--tail N] [-t] INSTANCE

        Prints what a detached instance wrote to stdout (to stdout) and stderr (to stderr),
        including rotated files.

        Options:
          -f, --follow       keep printing new output until the instance stops
          -n, --tail N       only the last N lines ("all" by default)
          -t, --timestamps   prefix each line with its time (RFC 3339, nanoseconds)
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        var follow = args.Flag("-f", "--follow");
        var timestamps = args.Flag("-t", "--timestamps");
        var tailText = args.Value("-n", "--tail");
        int? tail = tailText is null or "all" ? null
            : int.TryParse(tailText, out var n) && n >= 0 ? n : throw new UsageException($"invalid --tail \"{tailText}\"");
        var names = args.Positionals();
        if (names.Count != 1) throw new UsageException("\"kapsel logs\" needs exactly one INSTANCE");
        var instance = InstanceArgs.Find(ctx, names[0]);
        var path = InstanceMonitor.LogPath(ctx.Paths, instance.Id);
        if (!File.Exists(path))
        {
            if (!instance.Config.Detached) throw new KapselException($"instance {instance.Name} ran attached to a terminal: its output was not logged (use run -d)");
            return 0;
        }

        var offset = new FileInfo(path).Length;
        var records = LogReader.ReadAll(path, instance.Config.LogMaxFiles);
        var start = tail is { } t ? CountFromEnd(records, t) : 0;
        var stdout = Console.OpenStandardOutput();
        var stderr = Console.OpenStandardError();
        for (var i = start; i < records.Count; i++) Write(records[i], timestamps, stdout, stderr);
        if (!follow) return 0;
        var repo = ctx.Engine.Instances;
        foreach (var r in LogReader.Follow(path, offset, () => repo.Get(instance.Id) is { } now && InstanceControl.IsRunning(now)))
            Write(r, timestamps, stdout, stderr);
        return 0;
    }

    /// <summary>Index of the record where the last <paramref name="lines"/> complete lines begin.</summary>
    private static int CountFromEnd(List<LogRecord> records, int lines)
    {
        var complete = 0;
        for (var i = records.Count - 1; i >= 0; i--)
        {
            // A complete record ends a line; the (N+1)th from the end ends the line before our N.
            if (!records[i].Partial && ++complete > lines) return i + 1;
        }
        return 0;
    }

    private static void Write(LogRecord r, bool timestamps, Stream stdout, Stream stderr)
    {
        var target = r.Stream == "stderr" ? stderr : stdout;
        var text = (timestamps ? r.Timestamp + " " : "") + r.Text + (r.Partial ? "" : "\n");
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        target.Write(bytes);
        target.Flush();
    }
}

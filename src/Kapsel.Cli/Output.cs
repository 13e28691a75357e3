using System.Text;

namespace Kapsel.Cli;

/// <summary>Plain-text tables (docker-style, columns padded) for listings without --format json.</summary>
public static class Output
{
    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            for (var i = 0; i < cells.Count; i++)
                sb.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 3));
            sb.Append('\n');
        }
        Line(headers);
        all.ForEach(Line);
        Console.Out.Write(sb.ToString());
    }

    public static string Ago(DateTimeOffset t)
    {
        var d = DateTimeOffset.UtcNow - t;
        return d.TotalSeconds < 60 ? $"{(int)d.TotalSeconds} seconds ago"
            : d.TotalMinutes < 60 ? $"{(int)d.TotalMinutes} minutes ago"
            : d.TotalHours < 48 ? $"{(int)d.TotalHours} hours ago"
            : $"{(int)d.TotalDays} days ago";
    }

    public static string Size(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#}GB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.#}MB"
        : bytes >= 1L << 10 ? $"{bytes / 1024.0:0.#}kB" : $"{bytes}B";

    /// <summary>--format: "table" (default) or "json"; anything else is a usage error.</summary>
    public static bool WantsJson(ArgReader args)
    {
        var format = args.Value("--format") ?? "table";
        return format switch
        {
            "json" => true,
            "table" => false,
            _ => throw new UsageException($"unknown --format \"{format}\" (table, json)"),
        };
    }
}

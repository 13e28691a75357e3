using System.Text.Json;
using System.Text.Json.Serialization;
using Kapsel.Engine.Instances;

namespace Kapsel.Cli.Commands;

public static class PsCommand
{
    public static readonly Command Definition = new(["ps", "list", "ls"], "List instances", """
        Usage: kapsel ps [-a] [-q] [--format table|json]

        Lists running instances (all with -a) of every level.

        Options:
          -a, --all       include stopped and created instances
          -q, --quiet     print ids only
          --format FMT    table (default) or json
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        var all = args.Flag("-a", "--all");
        var quiet = args.Flag("-q", "--quiet");
        var json = Output.WantsJson(args);
        args.Positionals();

        var list = ctx.Engine.ListInstances().Where(i => all || i.State == InstanceState.Running).ToList();
        if (quiet) { list.ForEach(i => Console.Out.WriteLine(i.Id[..12])); return 0; }
        if (json)
        {
            var rows = list.Select(i => new InstanceJson(i.Id, i.Name, Instance.LevelName(i.Level), i.Image, i.Command,
                i.State.ToString().ToLowerInvariant(), i.Pid, i.ExitCode, i.Created, i.Started, i.Finished)).ToList();
            Console.Out.WriteLine(JsonSerializer.Serialize(rows, CliJsonContext.Default.ListInstanceJson));
            return 0;
        }
        Output.Table(["INSTANCE ID", "NAME", "LEVEL", "IMAGE", "COMMAND", "CREATED", "STATUS"],
            list.Select(i => (IReadOnlyList<string>)[i.Id[..12], i.Name, Instance.LevelName(i.Level), i.Image,
                Quote(string.Join(' ', i.Command)), Output.Ago(i.Created), Status(i)]));
        return 0;
    }

    private static string Quote(string s) => "\"" + (s.Length > 24 ? s[..23] + "…" : s) + "\"";

    private static string Status(Instance i) => i.State switch
    {
        InstanceState.Running => $"Up {Output.Ago(i.Started ?? i.Created).Replace(" ago", "")}",
        InstanceState.Restarting => $"Restarting ({i.ExitCode?.ToString() ?? "unknown"}) {Output.Ago(i.Finished ?? i.Created)}",
        InstanceState.Stopped => $"Exited ({i.ExitCode?.ToString() ?? "unknown"}) {Output.Ago(i.Finished ?? i.Created)}",
        _ => i.State.ToString(),
    };
}

public sealed record InstanceJson(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("command")] List<string> Command,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("pid")] int? Pid,
    [property: JsonPropertyName("exitCode")] int? ExitCode,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("started")] DateTimeOffset? Started,
    [property: JsonPropertyName("finished")] DateTimeOffset? Finished);

using System.Text.Json;
using System.Text.Json.Serialization;
using Kapsel.Engine.Volumes;

namespace Kapsel.Cli.Commands;

public static class VolumeCommand
{
    private const string Usage = """
        Usage: kapsel volume COMMAND

        Commands:
          create NAME              a named volume (also made on first `run -v NAME:/path`)
          ls [--format table|json] list volumes
          inspect NAME...          volumes with their mountpoints and users (JSON)
          rm [-f] NAME...          remove volumes no instance uses (-f: even if one does)
          prune                    remove volumes no instance uses
        """;

    public static readonly Command Definition = new(["volume"], "Manage named volumes", Usage, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        if (argv.Length == 0) throw new UsageException("\"kapsel volume\" needs a command (create, ls, inspect, rm, prune)");
        var args = new ArgReader(argv[1..]);
        var volumes = ctx.Engine.Volumes;
        switch (argv[0])
        {
            case "create":
            {
                var names = args.Positionals();
                var name = names.Count switch { 0 => null, 1 => names[0], _ => throw new UsageException("\"kapsel volume create\" takes one NAME") };
                if (name is null) name = volumes.CreateAnonymous();
                else volumes.Create(name);
                Console.Out.WriteLine(name);
                return 0;
            }
            case "ls" or "list":
            {
                var json = Output.WantsJson(args);
                args.Positionals();
                var rows = Rows(ctx, volumes.List());
                if (json) Console.Out.WriteLine(JsonSerializer.Serialize(rows, CliJsonContext.Default.ListVolumeJson));
                else Output.Table(["VOLUME NAME", "MOUNTPOINT", "USED BY"], rows.Select(r => (IReadOnlyList<string>)[r.Name, r.Mountpoint, string.Join(",", r.UsedBy)]));
                return 0;
            }
            case "inspect":
            {
                var names = args.Positionals();
                if (names.Count == 0) throw new UsageException("\"kapsel volume inspect\" needs at least one NAME");
                var (found, exit) = PerName.Collect(names, n => volumes.Exists(n) ? n : throw new Engine.KapselException($"no such volume: {n}"));
                var rows = Rows(ctx, volumes.List().Where(v => found.Contains(v.Name)));
                Console.Out.WriteLine(JsonSerializer.Serialize(rows, CliJsonContext.Default.ListVolumeJson));
                return exit;
            }
            case "rm" or "remove":
            {
                var force = args.Flag("-f", "--force");
                var names = args.Positionals();
                if (names.Count == 0) throw new UsageException("\"kapsel volume rm\" needs at least one NAME");
                var instances = ctx.Engine.Instances.List();
                return PerName.Each(names, name => { volumes.Remove(name, instances, force); Console.Out.WriteLine(name); });
            }
            case "prune":
            {
                args.Positionals();
                var instances = ctx.Engine.Instances.List();
                foreach (var v in volumes.List().Where(v => VolumeStore.UsersOf(v.Name, instances).Count == 0))
                {
                    volumes.Remove(v.Name, instances);
                    Console.Out.WriteLine($"Deleted volume {v.Name}");
                }
                return 0;
            }
            default:
                throw new UsageException($"unknown volume command \"{argv[0]}\"");
        }
    }

    private static List<VolumeJson> Rows(CliContext ctx, IEnumerable<VolumeInfo> list)
    {
        var instances = ctx.Engine.Instances.List();
        return list.Select(v => new VolumeJson(v.Name, v.Mountpoint, v.Created, VolumeStore.UsersOf(v.Name, instances))).ToList();
    }
}

public sealed record VolumeJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("mountpoint")] string Mountpoint,
    [property: JsonPropertyName("created")] DateTime Created,
    [property: JsonPropertyName("usedBy")] List<string> UsedBy);

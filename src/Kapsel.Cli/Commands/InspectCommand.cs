using System.Text.Json;
using System.Text.Json.Serialization;
using Kapsel.Engine;
using Kapsel.Engine.Instances;
using Kapsel.Network.Networks;

namespace Kapsel.Cli.Commands;

public static class InspectCommand
{
    public static readonly Command Definition = new(["inspect"], "Show instances in detail (JSON)", """
        Usage: kapsel inspect INSTANCE [INSTANCE...]

        Prints a JSON array with each instance's state, command, configuration (mounts, ports,
        limits, restart policy, ...) and network addresses.
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var names = new ArgReader(argv).Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel inspect\" needs at least one INSTANCE");
        var (list, exit) = PerName.Collect(names, name => Details(ctx, InstanceArgs.Find(ctx, name)));
        Console.Out.WriteLine(JsonSerializer.Serialize(list, CliJsonContext.Default.ListInstanceDetails));
        return exit;
    }

    public static InstanceDetails Details(CliContext ctx, Instance i)
    {
        var running = InstanceControl.IsRunning(i);
        var networks = i.Level == InstanceLevel.Chroot ? [] : ctx.Engine.Networks.Attachments(i.Id)
            .Select(a => new NetworkDetails(a.Network, a.IPAddress.ToString(), a.Address.PrefixLength, a.Gateway?.ToString(), a.Mac, a.HostLink))
            .ToList();
        return new InstanceDetails(i.Id, i.Name, Instance.LevelName(i.Level), i.Image, i.Command, i.Env, i.WorkingDir,
            running ? "running" : i.State == InstanceState.Running ? "stopped" : i.State.ToString().ToLowerInvariant(),
            running ? i.Pid : null, i.ExitCode, i.Created, i.Started, i.Finished, i.RestartCount, i.AutoRemove,
            ctx.Paths.InstanceDir(i.Id), i.Config, networks);
    }
}

public sealed record NetworkDetails(
    [property: JsonPropertyName("network")] string Network,
    [property: JsonPropertyName("ipAddress")] string IPAddress,
    [property: JsonPropertyName("prefixLength")] int PrefixLength,
    [property: JsonPropertyName("gateway")] string? Gateway,
    [property: JsonPropertyName("macAddress")] string Mac,
    [property: JsonPropertyName("hostLink")] string HostLink);

public sealed record InstanceDetails(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("command")] List<string> Command,
    [property: JsonPropertyName("env")] List<string> Env,
    [property: JsonPropertyName("workingDir")] string WorkingDir,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("pid")] int? Pid,
    [property: JsonPropertyName("exitCode")] int? ExitCode,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("started")] DateTimeOffset? Started,
    [property: JsonPropertyName("finished")] DateTimeOffset? Finished,
    [property: JsonPropertyName("restartCount")] int RestartCount,
    [property: JsonPropertyName("autoRemove")] bool AutoRemove,
    [property: JsonPropertyName("directory")] string Directory,
    [property: JsonPropertyName("config")] InstanceConfig Config,
    [property: JsonPropertyName("networks")] List<NetworkDetails> Networks);

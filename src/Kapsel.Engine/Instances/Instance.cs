namespace Kapsel.Engine.Instances;

/// <summary>The four isolation levels; every instance has exactly one.</summary>
public enum InstanceLevel { Chroot, System, App, Vm }

/// <summary>Lifecycle: created → running → stopped (paused where the level allows).</summary>
public enum InstanceState { Created, Running, Paused, Stopped }

/// <summary>One isolated environment, whatever its level: what the state store records.</summary>
public sealed class Instance
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public InstanceLevel Level { get; set; }
    public string Image { get; set; } = "";
    public List<string> Command { get; set; } = [];
    public List<string> Env { get; set; } = [];
    public string WorkingDir { get; set; } = "/";
    /// <summary>user[:group] as names or ids, resolved in the instance's root (null: root). Not persisted yet.</summary>
    public string? User { get; set; }
    public InstanceState State { get; set; }
    public int? Pid { get; set; }
    public int? ExitCode { get; set; }
    public bool AutoRemove { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset? Started { get; set; }
    public DateTimeOffset? Finished { get; set; }

    public static string LevelName(InstanceLevel level) => level.ToString().ToLowerInvariant();

    public static InstanceLevel ParseLevel(string text) => text.ToLowerInvariant() switch
    {
        "chroot" => InstanceLevel.Chroot,
        "system" => InstanceLevel.System,
        "app" => InstanceLevel.App,
        "vm" => InstanceLevel.Vm,
        _ => throw new KapselException($"unknown level \"{text}\" (chroot, system, app, vm)"),
    };
}


namespace Kapsel.Engine.Instances;

/// <summary>The four isolation levels; every instance has exactly one.</summary>
public enum InstanceLevel { Chroot, System, App, Vm }

/// <summary>Lifecycle: created → running → stopped (paused where the level allows; restarting between runs under a restart policy).</summary>
public enum InstanceState { Created, Running, Paused, Stopped, Restarting }

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
    public InstanceState State { get; set; }
    public int? Pid { get; set; }
    public int? ExitCode { get; set; }
    public bool AutoRemove { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset? Started { get; set; }
    public DateTimeOffset? Finished { get; set; }
    public InstanceConfig Config { get; set; } = new();
    /// <summary>The process that owns the instance's main process: its monitor (detached) or the kapsel that runs it in the foreground.</summary>
    public int? MonitorPid { get; set; }
    /// <summary>Set by stop/kill so the monitor does not apply the restart policy.</summary>
    public bool StopRequested { get; set; }
    public int RestartCount { get; set; }

    public string ShortId => Id[..12];

    /// <summary>Its process started, owned by this process (the monitor, or a foreground kapsel).</summary>
    public void MarkRunning(int pid)
    {
        State = InstanceState.Running;
        Pid = pid;
        MonitorPid = Environment.ProcessId;
        Started = DateTimeOffset.UtcNow;
        ExitCode = null;
        Finished = null;
    }

    /// <summary>Its process exited (the owner still records it; it clears MonitorPid when it lets go).</summary>
    public void MarkExited(int exitCode)
    {
        State = InstanceState.Stopped;
        Pid = null;
        ExitCode = exitCode;
        Finished = DateTimeOffset.UtcNow;
    }

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


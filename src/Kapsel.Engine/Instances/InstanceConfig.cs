using System.Text.Json.Serialization;

namespace Kapsel.Engine.Instances;

/// <summary>
/// Everything `run` was asked for beyond the command: kept as one JSON column so that `start`,
/// the monitor and `inspect` see exactly what the user chose, and new options need no migration.
/// </summary>
public sealed class InstanceConfig
{
    [JsonPropertyName("hostname")] public string? Hostname { get; set; }
    /// <summary>USER[:GROUP] or UID[:GID], resolved against the instance's /etc/passwd at start.</summary>
    [JsonPropertyName("user")] public string? User { get; set; }
    /// <summary>A network name, "none" or "host"; null = the default network.</summary>
    [JsonPropertyName("network")] public string? Network { get; set; }
    /// <summary>Published ports as typed: [IP:]HOST:CTR[/tcp|udp].</summary>
    [JsonPropertyName("ports")] public List<string> Ports { get; set; } = [];
    [JsonPropertyName("mounts")] public List<MountRequest> Mounts { get; set; } = [];
    [JsonPropertyName("memory")] public long? MemoryBytes { get; set; }
    [JsonPropertyName("cpus")] public double? Cpus { get; set; }
    [JsonPropertyName("pidsLimit")] public long? PidsLimit { get; set; }
    [JsonPropertyName("readOnly")] public bool ReadOnly { get; set; }
    [JsonPropertyName("capAdd")] public List<string> CapAdd { get; set; } = [];
    [JsonPropertyName("capDrop")] public List<string> CapDrop { get; set; } = [];
    [JsonPropertyName("restart")] public RestartPolicy Restart { get; set; } = new();
    [JsonPropertyName("tty")] public bool Tty { get; set; }
    [JsonPropertyName("interactive")] public bool Interactive { get; set; }
    [JsonPropertyName("detached")] public bool Detached { get; set; }
    [JsonPropertyName("stopSignal")] public string? StopSignal { get; set; }
    [JsonPropertyName("stopTimeout")] public int StopTimeout { get; set; } = 10;
    [JsonPropertyName("labels")] public Dictionary<string, string> Labels { get; set; } = [];
    /// <summary>Log rotation: a file grows to this size, then becomes .1 (and .1 becomes .2, ...).</summary>
    [JsonPropertyName("logMaxSize")] public long LogMaxSize { get; set; } = 10 << 20;
    [JsonPropertyName("logMaxFiles")] public int LogMaxFiles { get; set; } = 3;
}

/// <summary>A bind mount (Source is a host path), a named volume, or a tmpfs, at Destination inside.</summary>
public sealed class MountRequest
{
    [JsonPropertyName("type")] public string Type { get; set; } = "bind"; // bind | volume | tmpfs
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("destination")] public string Destination { get; set; } = "";
    [JsonPropertyName("readOnly")] public bool ReadOnly { get; set; }
    /// <summary>A volume made for this instance alone (`-v /dst`), removed with it.</summary>
    [JsonPropertyName("anonymous")] public bool Anonymous { get; set; }
}

/// <summary>--restart no | on-failure[:MAX] | always | unless-stopped, as docker spells it.</summary>
public sealed class RestartPolicy
{
    [JsonPropertyName("name")] public string Name { get; set; } = "no";
    [JsonPropertyName("maxRetries")] public int MaxRetries { get; set; }

    public static RestartPolicy Parse(string text)
    {
        var parts = text.Split(':', 2);
        var policy = new RestartPolicy { Name = parts[0] };
        if (parts[0] is not ("no" or "on-failure" or "always" or "unless-stopped"))
            throw new KapselException($"invalid --restart \"{text}\": use no, on-failure[:MAX], always or unless-stopped");
        if (parts.Length == 2)
        {
            if (parts[0] != "on-failure" || !int.TryParse(parts[1], out var max) || max < 0)
                throw new KapselException($"invalid --restart \"{text}\": only on-failure takes a maximum retry count (a number)");
            policy.MaxRetries = max;
        }
        return policy;
    }

    /// <summary>Whether the monitor starts the instance again after it exited with this code.</summary>
    public bool ShouldRestart(int exitCode, int restartsSoFar, bool stopRequested) => !stopRequested && Name switch
    {
        "always" or "unless-stopped" => true,
        "on-failure" => exitCode != 0 && (MaxRetries == 0 || restartsSoFar < MaxRetries),
        _ => false,
    };

    public override string ToString() => MaxRetries > 0 ? $"{Name}:{MaxRetries}" : Name;
}

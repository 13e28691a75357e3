using System.Text.Json.Serialization;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// What the runtime remembers about a container between invocations (--root/&lt;id&gt;/state.json).
/// The live status is never stored: it is derived from the process, the exec fifo and the freezer.
/// </summary>
public sealed class PersistedState
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("rootfs")] public string Rootfs { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    /// <summary>Field 22 of /proc/PID/stat at creation: tells our process from a later one reusing the pid.</summary>
    [JsonPropertyName("pidStartTime")] public ulong PidStartTime { get; set; }
    [JsonPropertyName("created")] public string Created { get; set; } = "";
    [JsonPropertyName("owner")] public string Owner { get; set; } = "root";
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    /// <summary>cgroup directories per hierarchy mount point (v2: one entry), for ps/pause/update/delete.</summary>
    [JsonPropertyName("cgroupPaths")] public Dictionary<string, string>? CgroupPaths { get; set; }
    [JsonPropertyName("systemdCgroup")] public bool SystemdCgroup { get; set; }
    /// <summary>The transient scope systemd made for the container (--systemd-cgroup), stopped on delete.</summary>
    [JsonPropertyName("systemdUnit")] public string? SystemdUnit { get; set; }
    /// <summary>Set once the container's init was observed stopped, so later calls need not probe.</summary>
    [JsonPropertyName("stopped")] public bool Stopped { get; set; }
    /// <summary>Plan index and descriptions of the init's steps after the exec fifo, which report failures to `start`.</summary>
    [JsonPropertyName("startStepBase")] public int StartStepBase { get; set; }
    [JsonPropertyName("startSteps")] public List<string>? StartSteps { get; set; }
    /// <summary>Whether config.json has hooks that start or delete run (false: they need not parse it again; null: unknown).</summary>
    [JsonPropertyName("hasHooks")] public bool? HasHooks { get; set; }
    /// <summary>linux.netDevices moved in at create (host name → name inside), moved back at delete.</summary>
    [JsonPropertyName("netDevices")] public Dictionary<string, string>? NetDevices { get; set; }
    /// <summary>The joined network namespace's path, if any: it outlives the init, so delete can still reach it.</summary>
    [JsonPropertyName("joinedNetns")] public string? JoinedNetns { get; set; }
    /// <summary>No mount namespace of its own: the mount ID of the rootfs bind holding its mounts in the runtime's, detached at delete.</summary>
    [JsonPropertyName("rootfsBindMountId")] public int? RootfsBindMountId { get; set; }
}

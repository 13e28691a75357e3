using System.Text.Json.Serialization;

namespace Kapsel.Oci.Spec;

/// <summary>The state a runtime reports (runtime.md#state), printed by <c>state</c> and fed to hooks on stdin.</summary>
public sealed class ContainerStateDocument
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = SpecVersion.Current;
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("rootfs")] public string? Rootfs { get; set; }
    [JsonPropertyName("created")] public string? Created { get; set; }
    [JsonPropertyName("owner")] public string? Owner { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>
/// What a seccomp agent receives on linux.seccomp.listenerPath along with the listener fd
/// (runtime-spec config-linux.md, "the container process state").
/// </summary>
public sealed class ContainerProcessState
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = SpecVersion.Current;
    [JsonPropertyName("fds")] public List<string> Fds { get; set; } = ["seccompFd"];
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("metadata")] public string? Metadata { get; set; }
    [JsonPropertyName("state")] public ContainerStateDocument State { get; set; } = new();
}

/// <summary>One row of <c>list --format json</c> (runc's field names, which clients parse).</summary>
public sealed class ContainerListEntry
{
    [JsonPropertyName("ociVersion")] public string OciVersion { get; set; } = SpecVersion.Current;
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("bundle")] public string Bundle { get; set; } = "";
    [JsonPropertyName("rootfs")] public string Rootfs { get; set; } = "";
    [JsonPropertyName("created")] public string Created { get; set; } = "";
    [JsonPropertyName("owner")] public string Owner { get; set; } = "";
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

public static class SpecVersion
{
    /// <summary>The runtime-spec version Kapsel implements and reports.</summary>
    public const string Current = "1.2.0";
}

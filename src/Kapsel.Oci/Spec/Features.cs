using System.Text.Json.Serialization;

namespace Kapsel.Oci.Spec;

/// <summary>The <c>features</c> document (runtime-spec features.md), with runc's field names.</summary>
public sealed class Features
{
    [JsonPropertyName("ociVersionMin")] public string OciVersionMin { get; set; } = "1.0.0";
    [JsonPropertyName("ociVersionMax")] public string OciVersionMax { get; set; } = SpecVersion.Current;
    [JsonPropertyName("hooks")] public List<string> Hooks { get; set; } = [];
    [JsonPropertyName("mountOptions")] public List<string> MountOptions { get; set; } = [];
    [JsonPropertyName("linux")] public LinuxFeatures Linux { get; set; } = new();
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

public sealed class LinuxFeatures
{
    [JsonPropertyName("namespaces")] public List<string> Namespaces { get; set; } = [];
    [JsonPropertyName("capabilities")] public List<string> Capabilities { get; set; } = [];
    [JsonPropertyName("cgroup")] public CgroupFeatures Cgroup { get; set; } = new();
    [JsonPropertyName("seccomp")] public SeccompFeatures Seccomp { get; set; } = new();
    [JsonPropertyName("apparmor")] public EnabledFeature Apparmor { get; set; } = new();
    [JsonPropertyName("selinux")] public EnabledFeature Selinux { get; set; } = new();
    [JsonPropertyName("intelRdt")] public EnabledFeature IntelRdt { get; set; } = new();
    [JsonPropertyName("netDevices")] public EnabledFeature NetDevices { get; set; } = new();
    [JsonPropertyName("mountExtensions")] public MountExtensionFeatures MountExtensions { get; set; } = new();
}

public sealed class CgroupFeatures
{
    [JsonPropertyName("v1")] public bool V1 { get; set; }
    [JsonPropertyName("v2")] public bool V2 { get; set; }
    [JsonPropertyName("systemd")] public bool Systemd { get; set; }
    [JsonPropertyName("systemdUser")] public bool SystemdUser { get; set; }
    [JsonPropertyName("rdma")] public bool Rdma { get; set; }
}

public sealed class SeccompFeatures
{
    [JsonPropertyName("enabled")] public bool Enabled { get; set; }
    [JsonPropertyName("actions")] public List<string>? Actions { get; set; }
    [JsonPropertyName("operators")] public List<string>? Operators { get; set; }
    [JsonPropertyName("archs")] public List<string>? Archs { get; set; }
    [JsonPropertyName("knownFlags")] public List<string>? KnownFlags { get; set; }
    [JsonPropertyName("supportedFlags")] public List<string>? SupportedFlags { get; set; }
}

public sealed class EnabledFeature
{
    [JsonPropertyName("enabled")] public bool Enabled { get; set; }
}

public sealed class MountExtensionFeatures
{
    [JsonPropertyName("idmap")] public EnabledFeature Idmap { get; set; } = new();
}

/// <summary>One line of <c>events</c> output (runc's shape: type, id, data).</summary>
public sealed class EventDocument
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("data")] public EventStats? Data { get; set; }
}

public sealed class EventStats
{
    [JsonPropertyName("cpu")] public CpuStats? Cpu { get; set; }
    [JsonPropertyName("memory")] public MemoryStats? Memory { get; set; }
    [JsonPropertyName("pids")] public PidsStats? Pids { get; set; }
}

public sealed class CpuStats
{
    [JsonPropertyName("usage")] public CpuUsage Usage { get; set; } = new();
}

public sealed class CpuUsage
{
    [JsonPropertyName("total")] public ulong Total { get; set; }
    [JsonPropertyName("user")] public ulong User { get; set; }
    [JsonPropertyName("kernel")] public ulong Kernel { get; set; }
}

public sealed class MemoryStats
{
    [JsonPropertyName("usage")] public MemoryEntry Usage { get; set; } = new();
}

public sealed class MemoryEntry
{
    [JsonPropertyName("usage")] public ulong Usage { get; set; }
    [JsonPropertyName("limit")] public ulong Limit { get; set; }
}

public sealed class PidsStats
{
    [JsonPropertyName("current")] public ulong Current { get; set; }
    [JsonPropertyName("limit")] public ulong Limit { get; set; }
}

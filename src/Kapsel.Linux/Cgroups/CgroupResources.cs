namespace Kapsel.Linux.Cgroups;

/// <summary>
/// Resource limits for one cgroup, independent of any configuration format. Every field is
/// optional: null means "leave the current value alone". Numbers follow the OCI runtime-spec
/// meaning (so mapping config.json onto this is field-for-field); -1 means "unlimited" where the
/// kernel has such a value. Each layout converts to its own files (see <see cref="CgroupConversions"/>).
/// </summary>
public sealed record CgroupResources
{
    public MemoryResources? Memory { get; init; }
    public CpuResources? Cpu { get; init; }
    public PidsResources? Pids { get; init; }
    public BlockIoResources? BlockIo { get; init; }
    public IReadOnlyList<HugepageLimit>? HugepageLimits { get; init; }

    /// <summary>Device access rules in order; the last matching rule wins. Null leaves access unchanged.</summary>
    public IReadOnlyList<DeviceRule>? Devices { get; init; }

    public NetworkResources? Network { get; init; }

    /// <summary>Raw cgroup v2 files (e.g. "memory.high" → "1G"), written last, verbatim. Never converted to v1.</summary>
    public IReadOnlyDictionary<string, string>? Unified { get; init; }
}

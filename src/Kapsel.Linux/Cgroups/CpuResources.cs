namespace Kapsel.Linux.Cgroups;

/// <summary>CPU scheduling limits (OCI meaning; times in microseconds).</summary>
public sealed record CpuResources
{
    /// <summary>Relative weight, v1 cpu.shares scale (2–262144, default 1024); v2 converts to cpu.weight.</summary>
    public ulong? Shares { get; init; }

    /// <summary>CFS quota per period in µs; -1 is unlimited.</summary>
    public long? Quota { get; init; }

    /// <summary>CFS period in µs.</summary>
    public ulong? Period { get; init; }

    /// <summary>Allowed burst above quota in µs (v1 cpu.cfs_burst_us, v2 cpu.max.burst).</summary>
    public ulong? Burst { get; init; }

    /// <summary>Realtime runtime per period in µs (v1 only; needs CONFIG_RT_GROUP_SCHED).</summary>
    public long? RealtimeRuntime { get; init; }

    public ulong? RealtimePeriod { get; init; }

    /// <summary>cpuset list, e.g. "0-1,3".</summary>
    public string? Cpus { get; init; }

    /// <summary>Memory nodes list, e.g. "0".</summary>
    public string? Mems { get; init; }

    /// <summary>1 makes the cgroup SCHED_IDLE (cpu.idle).</summary>
    public long? Idle { get; init; }
}

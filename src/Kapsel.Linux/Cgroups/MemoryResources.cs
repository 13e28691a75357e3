namespace Kapsel.Linux.Cgroups;

/// <summary>Memory limits in bytes (OCI meaning: -1 is unlimited).</summary>
public sealed record MemoryResources
{
    /// <summary>Hard limit (v1 memory.limit_in_bytes, v2 memory.max).</summary>
    public long? Limit { get; init; }

    /// <summary>Soft limit / protection (v1 memory.soft_limit_in_bytes, v2 memory.low).</summary>
    public long? Reservation { get; init; }

    /// <summary>
    /// Memory PLUS swap limit, as in OCI and v1 memory.memsw.limit_in_bytes. On v2 this becomes
    /// memory.swap.max = Swap - Limit (v2 counts swap alone).
    /// </summary>
    public long? Swap { get; init; }

    /// <summary>Kernel memory limit: deprecated by the kernel; ignored with a warning.</summary>
    public long? Kernel { get; init; }

    /// <summary>Kernel TCP buffer limit (v1 memory.kmem.tcp.limit_in_bytes only).</summary>
    public long? KernelTcp { get; init; }

    /// <summary>0–100 (v1 only; ignored with a warning on v2).</summary>
    public ulong? Swappiness { get; init; }

    /// <summary>v1 memory.oom_control; v2 has no equivalent (warning).</summary>
    public bool? DisableOomKiller { get; init; }
}

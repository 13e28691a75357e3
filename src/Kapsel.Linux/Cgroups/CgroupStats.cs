namespace Kapsel.Linux.Cgroups;

/// <summary>
/// A usage snapshot, shaped for `runc events --stats` and `docker stats`. Byte and nanosecond
/// units whatever the layout; a null section means the controller is not available.
/// </summary>
public sealed record CgroupStats
{
    public CpuStats? Cpu { get; init; }
    public MemoryStats? Memory { get; init; }
    public PidsStats? Pids { get; init; }
    public IoStats? Io { get; init; }

    /// <summary>By page size ("2MB").</summary>
    public IReadOnlyDictionary<string, HugetlbStats> Hugetlb { get; init; } = new Dictionary<string, HugetlbStats>();
}

public sealed record CpuStats(ulong UsageTotalNs, ulong UsageUserNs, ulong UsageSystemNs,
    IReadOnlyList<ulong> PerCpuUsageNs, ulong Periods, ulong ThrottledPeriods, ulong ThrottledTimeNs);

/// <summary>A usage counter; Limit null is unlimited, MaxUsage 0 if the kernel does not track it.</summary>
public sealed record MemoryUsage(ulong Usage, ulong MaxUsage, ulong? Limit, ulong Failcnt);

/// <summary>Memory usage; Swap is swap alone on v2 and memory+swap on v1 (as the kernel reports it); Raw is memory.stat.</summary>
public sealed record MemoryStats(MemoryUsage Usage, MemoryUsage? Swap, MemoryUsage? Kernel,
    IReadOnlyDictionary<string, ulong> Raw, ulong OomKills)
{
    /// <summary>Page cache, for docker-style "usage minus cache" (v1 total_inactive_file, v2 inactive_file).</summary>
    public ulong InactiveFile => Raw.GetValueOrDefault("total_inactive_file", Raw.GetValueOrDefault("inactive_file"));
}

/// <summary>Limit null is unlimited.</summary>
public sealed record PidsStats(ulong Current, ulong? Limit);

public sealed record IoStats(IReadOnlyList<IoEntry> ServiceBytes, IReadOnlyList<IoEntry> Serviced);

/// <summary>One counter of one device; Op is "Read", "Write", "Sync", "Async", "Discard" or "Total".</summary>
public sealed record IoEntry(ulong Major, ulong Minor, string Op, ulong Value);

public sealed record HugetlbStats(ulong Usage, ulong MaxUsage, ulong Failcnt);

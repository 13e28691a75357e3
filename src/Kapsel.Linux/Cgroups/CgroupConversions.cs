namespace Kapsel.Linux.Cgroups;

/// <summary>The v1 → v2 value conversions, as pure functions.</summary>
public static class CgroupConversions
{
    /// <summary>
    /// cpu.shares [2, 262144] → cpu.weight [1, 10000] on a log scale, so that the v1 default 1024
    /// maps to the v2 default 100 (the conversion crun ≥ 1.23 and runc ≥ 1.3 use; the older linear
    /// one mapped 1024 to 39). 0 means "unset".
    /// </summary>
    public static ulong CpuSharesToWeight(ulong shares)
    {
        if (shares == 0) return 0;
        if (shares <= 2) return 1;
        if (shares >= 262144) return 10000;
        var l = Math.Log2(shares);
        var exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
        return (ulong)Math.Ceiling(Math.Pow(10, exponent));
    }

    /// <summary>blkio weight [10, 1000] → io.weight [1, 10000] (linear, as runc/crun). io.bfq.weight takes the v1 value unchanged.</summary>
    public static ulong BlkioWeightToIoWeight(ulong weight) => weight == 0 ? 0 : 1 + (weight - 10) * 9999 / 990;

    /// <summary>
    /// OCI memory.swap (memory+swap, v1 memsw) → v2 memory.swap.max (swap alone). Returns null to
    /// leave memory.swap.max alone, -1 for "max".
    /// </summary>
    public static long? MemorySwapToV2(long? swap, long? limit)
    {
        // v1 compatibility: an unlimited memory with no swap setting means both unlimited.
        if (limit == -1 && swap is null or 0) return -1;
        if (swap is null or 0) return null;
        if (swap == -1) return -1;
        if (limit is null or 0 or -1)
            throw new CgroupException($"cannot set a memory+swap limit ({swap}) without a memory limit");
        if (limit < 0) throw new CgroupException($"invalid memory limit {limit}");
        if (swap < limit)
            throw new CgroupException($"the memory+swap limit ({swap}) must be at least the memory limit ({limit})");
        return swap - limit;
    }

    /// <summary>The cpu.max line: "quota period", "max period", or just the quota when no period is given.</summary>
    public static string? CpuMax(long? quota, ulong? period)
    {
        if (quota is null && period is null) return null;
        var q = quota is null or < 0 ? "max" : quota.Value.ToString();
        return period is { } p and > 0 ? $"{q} {p}" : q;
    }

    /// <summary>Numbers as v2 files take them: -1 is "max"; other negatives go to the kernel as is, to be refused there.</summary>
    public static string V2Limit(long value) => value == -1 ? "max" : value.ToString();
}

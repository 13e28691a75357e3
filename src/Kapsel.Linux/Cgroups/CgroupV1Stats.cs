namespace Kapsel.Linux.Cgroups;

/// <summary>Reads a <see cref="CgroupStats"/> from the v1 hierarchies of a cgroup.</summary>
internal static class CgroupV1Stats
{
    public static CgroupStats Read(CgroupV1 cgroup) => new()
    {
        Cpu = ReadCpu(cgroup.DirectoryOf("cpuacct"), cgroup.DirectoryOf("cpu")),
        Memory = cgroup.DirectoryOf("memory") is { } memory ? ReadMemory(memory) : null,
        Pids = cgroup.DirectoryOf("pids") is { } pids && CgroupFiles.ReadOptional(pids, "pids.current") is { } current
            ? new PidsStats(CgroupFiles.ParseNumber(current), CgroupFiles.ParseLimit(CgroupFiles.ReadOptional(pids, "pids.max")))
            : null,
        Io = cgroup.DirectoryOf("blkio") is { } blkio ? ReadBlkio(blkio) : null,
        Hugetlb = cgroup.DirectoryOf("hugetlb") is { } hugetlb ? ReadHugetlb(hugetlb) : new Dictionary<string, HugetlbStats>(),
    };

    private static CpuStats? ReadCpu(string? cpuacct, string? cpu)
    {
        if (cpuacct is null && cpu is null) return null;
        ulong total = 0, user = 0, system = 0;
        IReadOnlyList<ulong> perCpu = [];
        if (cpuacct is not null)
        {
            total = CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(cpuacct, "cpuacct.usage"));
            perCpu = (CgroupFiles.ReadOptional(cpuacct, "cpuacct.usage_percpu") ?? "")
                .Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(CgroupFiles.ParseNumber).ToList();
            if (CgroupFiles.ReadOptional(cpuacct, "cpuacct.usage_user") is { } u)
            {
                user = CgroupFiles.ParseNumber(u);
                system = CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(cpuacct, "cpuacct.usage_sys"));
            }
            else
            {
                // Older kernels: only cpuacct.stat, in USER_HZ (100/s) ticks.
                var stat = CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(cpuacct, "cpuacct.stat"));
                user = stat.GetValueOrDefault("user") * 10_000_000;
                system = stat.GetValueOrDefault("system") * 10_000_000;
            }
        }
        var throttling = CgroupFiles.ParseKeyValues(cpu is null ? null : CgroupFiles.ReadOptional(cpu, "cpu.stat"));
        return new CpuStats(total, user, system, perCpu, throttling.GetValueOrDefault("nr_periods"),
            throttling.GetValueOrDefault("nr_throttled"), throttling.GetValueOrDefault("throttled_time"));
    }

    private static MemoryStats ReadMemory(string dir)
    {
        MemoryUsage? Usage(string prefix)
        {
            if (CgroupFiles.ReadOptional(dir, prefix + "usage_in_bytes") is not { } usage) return null;
            return new MemoryUsage(CgroupFiles.ParseNumber(usage), CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(dir, prefix + "max_usage_in_bytes")),
                CgroupFiles.ParseLimit(CgroupFiles.ReadOptional(dir, prefix + "limit_in_bytes")),
                CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(dir, prefix + "failcnt")));
        }
        var oom = CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(dir, "memory.oom_control"));
        return new MemoryStats(Usage("memory.") ?? new MemoryUsage(0, 0, null, 0), Usage("memory.memsw."), Usage("memory.kmem."),
            CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(dir, "memory.stat")), oom.GetValueOrDefault("oom_kill"));
    }

    /// <summary>"8:0 Read 4096" lines; the throttle files count every I/O whatever the scheduler.</summary>
    private static IoStats ReadBlkio(string dir)
    {
        List<IoEntry> Parse(string file)
        {
            var result = new List<IoEntry>();
            foreach (var line in (CgroupFiles.ReadOptional(dir, file) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length != 3) continue;
                var device = fields[0].Split(':');
                if (device.Length == 2 && ulong.TryParse(device[0], out var major) && ulong.TryParse(device[1], out var minor)
                    && ulong.TryParse(fields[2], out var value))
                    result.Add(new IoEntry(major, minor, fields[1], value));
            }
            return result;
        }
        return new IoStats(Parse("blkio.throttle.io_service_bytes_recursive"), Parse("blkio.throttle.io_serviced_recursive"));
    }

    private static Dictionary<string, HugetlbStats> ReadHugetlb(string dir)
    {
        var result = new Dictionary<string, HugetlbStats>();
        foreach (var file in CgroupV2Stats.SafeFiles(dir, "hugetlb.*.usage_in_bytes"))
        {
            var size = Path.GetFileName(file)["hugetlb.".Length..^".usage_in_bytes".Length];
            if (size.Contains('.')) continue; // hugetlb.2MB.rsvd.usage_in_bytes
            result[size] = new HugetlbStats(CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(dir, $"hugetlb.{size}.usage_in_bytes")),
                CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(dir, $"hugetlb.{size}.max_usage_in_bytes")),
                CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(dir, $"hugetlb.{size}.failcnt")));
        }
        return result;
    }
}

namespace Kapsel.Linux.Cgroups;

/// <summary>Reads a <see cref="CgroupStats"/> from a cgroup v2 directory.</summary>
internal static class CgroupV2Stats
{
    public static CgroupStats Read(string directory) => new()
    {
        Cpu = ReadCpu(directory),
        Memory = ReadMemory(directory),
        Pids = CgroupFiles.ReadOptional(directory, "pids.current") is { } current
            ? new PidsStats(CgroupFiles.ParseNumber(current), CgroupFiles.ParseLimit(CgroupFiles.ReadOptional(directory, "pids.max")))
            : null,
        Io = ReadIo(directory),
        Hugetlb = ReadHugetlb(directory),
    };

    private static CpuStats? ReadCpu(string directory)
    {
        // cpu.stat exists even without the cpu controller (usage only); throttling needs the controller.
        if (CgroupFiles.ReadOptional(directory, "cpu.stat") is not { } text) return null;
        var stat = CgroupFiles.ParseKeyValues(text);
        return new CpuStats(stat.GetValueOrDefault("usage_usec") * 1000, stat.GetValueOrDefault("user_usec") * 1000,
            stat.GetValueOrDefault("system_usec") * 1000, [], stat.GetValueOrDefault("nr_periods"),
            stat.GetValueOrDefault("nr_throttled"), stat.GetValueOrDefault("throttled_usec") * 1000);
    }

    private static MemoryStats? ReadMemory(string directory)
    {
        if (CgroupFiles.ReadOptional(directory, "memory.current") is not { } current) return null;
        var events = CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(directory, "memory.events"));
        var usage = new MemoryUsage(CgroupFiles.ParseNumber(current), CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(directory, "memory.peak")),
            CgroupFiles.ParseLimit(CgroupFiles.ReadOptional(directory, "memory.max")), events.GetValueOrDefault("max"));
        MemoryUsage? swap = CgroupFiles.ReadOptional(directory, "memory.swap.current") is { } swapCurrent
            ? new MemoryUsage(CgroupFiles.ParseNumber(swapCurrent), CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(directory, "memory.swap.peak")),
                CgroupFiles.ParseLimit(CgroupFiles.ReadOptional(directory, "memory.swap.max")),
                CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(directory, "memory.swap.events")).GetValueOrDefault("max"))
            : null;
        var raw = CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(directory, "memory.stat"));
        var kernel = raw.TryGetValue("kernel", out var k) ? new MemoryUsage(k, 0, null, 0) : null;
        return new MemoryStats(usage, swap, kernel, raw, events.GetValueOrDefault("oom_kill"));
    }

    /// <summary>io.stat lines: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".</summary>
    internal static IoStats? ReadIo(string directory)
    {
        if (CgroupFiles.ReadOptional(directory, "io.stat") is not { } text) return null;
        var bytes = new List<IoEntry>();
        var ios = new List<IoEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var device = fields[0].Split(':');
            if (device.Length != 2 || !ulong.TryParse(device[0], out var major) || !ulong.TryParse(device[1], out var minor)) continue;
            foreach (var field in fields.Skip(1))
            {
                var kv = field.Split('=');
                if (kv.Length != 2 || !ulong.TryParse(kv[1], out var value)) continue;
                switch (kv[0])
                {
                    case "rbytes": bytes.Add(new IoEntry(major, minor, "Read", value)); break;
                    case "wbytes": bytes.Add(new IoEntry(major, minor, "Write", value)); break;
                    case "dbytes": bytes.Add(new IoEntry(major, minor, "Discard", value)); break;
                    case "rios": ios.Add(new IoEntry(major, minor, "Read", value)); break;
                    case "wios": ios.Add(new IoEntry(major, minor, "Write", value)); break;
                    case "dios": ios.Add(new IoEntry(major, minor, "Discard", value)); break;
                }
            }
        }
        return new IoStats(bytes, ios);
    }

    internal static Dictionary<string, HugetlbStats> ReadHugetlb(string directory)
    {
        var result = new Dictionary<string, HugetlbStats>();
        foreach (var file in SafeFiles(directory, "hugetlb.*.current"))
        {
            var size = Path.GetFileName(file)["hugetlb.".Length..^".current".Length];
            if (size.Contains('.')) continue; // hugetlb.2MB.rsvd.current
            result[size] = new HugetlbStats(CgroupFiles.ParseNumber(CgroupFiles.ReadOptional(directory, $"hugetlb.{size}.current")), 0,
                CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(directory, $"hugetlb.{size}.events")).GetValueOrDefault("max"));
        }
        return result;
    }

    internal static string[] SafeFiles(string directory, string pattern)
    {
        try { return Directory.GetFiles(directory, pattern); }
        catch (DirectoryNotFoundException) { return []; }
    }
}

using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// A cgroup across the v1 hierarchies: one directory per mounted hierarchy (each controller may
/// be its own mount, or share one, e.g. "cpu,cpuacct"). Controllers that are not mounted are
/// skipped with a warning.
/// </summary>
public sealed class CgroupV1 : ICgroup
{
    private readonly IReadOnlyList<CgroupHierarchy> _hierarchies;
    private readonly Dictionary<string, string> _directories;

    public CgroupLayoutMode Mode => CgroupLayoutMode.Legacy;
    public IReadOnlyDictionary<string, string> Directories => _directories;
    public bool Exists => _directories.Values.Any(System.IO.Directory.Exists);

    /// <param name="directories">Directory per hierarchy key; hierarchies without an entry are not used.</param>
    public CgroupV1(IReadOnlyList<CgroupHierarchy> hierarchies, IReadOnlyDictionary<string, string> directories)
    {
        _hierarchies = hierarchies.Where(h => h.Version == 1 && directories.ContainsKey(h.Key)).ToList();
        _directories = _hierarchies.ToDictionary(h => h.Key, h => directories[h.Key]);
    }

    /// <summary>The directory for a controller, or null when that controller is not mounted.</summary>
    public string? DirectoryOf(string controller) =>
        _hierarchies.FirstOrDefault(h => h.Has(controller)) is { } h ? _directories[h.Key] : null;

    internal List<string> Create()
    {
        var created = new List<string>();
        try
        {
            foreach (var h in _hierarchies)
                CgroupDirectories.MakePath(h.MountPoint, _directories[h.Key], created,
                    afterCreate: h.Has("cpuset") ? InheritCpuset : null);
        }
        catch
        {
            CgroupDirectories.RemoveCreated(created);
            throw;
        }
        return created;
    }

    /// <summary>A new v1 cpuset starts with no CPUs and no memory nodes and refuses tasks: copy the parent's.</summary>
    private static void InheritCpuset(string parent, string child)
    {
        foreach (var file in new[] { "cpuset.cpus", "cpuset.mems" })
            if (CgroupFiles.Read(child, file).Trim().Length == 0)
                CgroupFiles.Write(child, file, CgroupFiles.Read(parent, file).Trim());
    }

    public IReadOnlyList<string> Apply(CgroupResources resources)
    {
        var warnings = new List<string>();
        string? Need(string controller, string what)
        {
            var dir = DirectoryOf(controller);
            if (dir is null) warnings.Add($"the {controller} cgroup controller is not mounted: {what} ignored");
            return dir;
        }

        if (resources.Memory is { } memory && Need("memory", "memory limits") is { } memoryDir) ApplyMemory(memoryDir, memory, warnings);
        if (resources.Cpu is { } cpu) ApplyCpu(cpu, warnings, Need);
        if (resources.Pids is { } pids && Need("pids", "the pids limit") is { } pidsDir)
            CgroupFiles.Write(pidsDir, "pids.max", pids.Limit <= 0 ? "max" : pids.Limit.ToString());
        if (resources.BlockIo is { } io && Need("blkio", "block I/O limits") is { } blkioDir) ApplyBlkio(blkioDir, io, warnings);
        if (resources.HugepageLimits is { Count: > 0 } huge && Need("hugetlb", "hugepage limits") is { } hugeDir)
            foreach (var limit in huge)
            {
                var file = $"hugetlb.{limit.PageSize}.limit_in_bytes";
                if (!CgroupFiles.Exists(hugeDir, file))
                    throw new CgroupException($"hugepage size \"{limit.PageSize}\" is not supported (no {Path.Combine(hugeDir, file)})");
                CgroupFiles.Write(hugeDir, file, limit.Limit.ToString());
            }
        if (resources.Devices is { } devices && Need("devices", "device rules") is { } devicesDir)
            foreach (var rule in devices)
            {
                rule.Validate();
                CgroupFiles.Write(devicesDir, rule.Allow ? "devices.allow" : "devices.deny", rule.ToV1String());
            }
        if (resources.Network is { } network)
        {
            if (network.ClassId is { } classId && Need("net_cls", "the network class id") is { } clsDir)
                CgroupFiles.Write(clsDir, "net_cls.classid", classId.ToString());
            if (network.Priorities is { Count: > 0 } priorities && Need("net_prio", "network priorities") is { } prioDir)
                foreach (var p in priorities) CgroupFiles.Write(prioDir, "net_prio.ifpriomap", $"{p.Interface} {p.Priority}");
        }
        if (resources.Unified is { Count: > 0 })
            throw new CgroupException("unified (cgroup v2) resources were given but this host has no cgroup v2 hierarchy");
        return warnings;
    }

    private static void ApplyMemory(string dir, MemoryResources memory, List<string> warnings)
    {
        if (memory.DisableOomKiller == true) CgroupFiles.Write(dir, "memory.oom_control", "1");
        if (memory.Swappiness is { } swappiness) CgroupFiles.Write(dir, "memory.swappiness", swappiness.ToString());
        if (memory.Reservation is { } soft) CgroupFiles.Write(dir, "memory.soft_limit_in_bytes", soft.ToString());
        if (memory.Kernel is not null and not 0) warnings.Add("kernel memory limits are not supported by current kernels: ignored");
        if (memory.KernelTcp is { } tcp)
        {
            if (CgroupFiles.Exists(dir, "memory.kmem.tcp.limit_in_bytes")) CgroupFiles.Write(dir, "memory.kmem.tcp.limit_in_bytes", tcp.ToString());
            else warnings.Add("this kernel has no memory.kmem.tcp.limit_in_bytes: the kernel TCP limit is ignored");
        }

        var hasMemsw = CgroupFiles.Exists(dir, "memory.memsw.limit_in_bytes");
        var swap = memory.Swap is 0 ? null : memory.Swap;
        if (swap is not null && !hasMemsw)
        {
            if (swap != -1) warnings.Add("swap accounting is not enabled on this host: the memory+swap limit is ignored");
            swap = null;
        }
        if (swap is not null && memory.Limit is { } l and > 0 && swap != -1 && swap < l)
            throw new CgroupException($"the memory+swap limit ({swap}) must be at least the memory limit ({l})");

        // The kernel keeps memory ≤ memory+swap at every step: raise memsw before the limit, lower it after.
        var currentMemsw = hasMemsw ? CgroupFiles.ParseLimit(CgroupFiles.Read(dir, "memory.memsw.limit_in_bytes")) : null;
        var raising = swap is { } newMemsw && (newMemsw == -1 || currentMemsw is { } cur && (ulong)newMemsw >= cur);
        if (swap is { } first && raising) CgroupFiles.Write(dir, "memory.memsw.limit_in_bytes", first.ToString());
        if (memory.Limit is { } limit) CgroupFiles.Write(dir, "memory.limit_in_bytes", limit.ToString());
        if (swap is { } last && !raising) CgroupFiles.Write(dir, "memory.memsw.limit_in_bytes", last.ToString());
    }

    private void ApplyCpu(CpuResources cpu, List<string> warnings, Func<string, string, string?> need)
    {
        var usesCpu = cpu.Shares is not null || cpu.Quota is not null || cpu.Period is not null || cpu.Burst is not null
            || cpu.Idle is not null || cpu.RealtimeRuntime is not null || cpu.RealtimePeriod is not null;
        if (usesCpu && need("cpu", "CPU shares and quota") is { } dir)
        {
            if (cpu.Shares is { } shares and > 0) CgroupFiles.Write(dir, "cpu.shares", shares.ToString());
            if (cpu.Period is { } period and > 0) CgroupFiles.Write(dir, "cpu.cfs_period_us", period.ToString());
            if (cpu.Quota is { } quota and not 0) CgroupFiles.Write(dir, "cpu.cfs_quota_us", quota < 0 ? "-1" : quota.ToString());
            if (cpu.Burst is { } burst) CgroupFiles.Write(dir, "cpu.cfs_burst_us", burst.ToString());
            if (cpu.RealtimePeriod is { } rtPeriod and > 0) CgroupFiles.Write(dir, "cpu.rt_period_us", rtPeriod.ToString());
            if (cpu.RealtimeRuntime is { } rtRuntime and not 0)
            {
                if (CgroupFiles.Exists(dir, "cpu.rt_runtime_us")) CgroupFiles.Write(dir, "cpu.rt_runtime_us", rtRuntime.ToString());
                else warnings.Add("this kernel has no realtime group scheduling (cpu.rt_runtime_us): ignored");
            }
            if (cpu.Idle is { } idle)
            {
                if (CgroupFiles.Exists(dir, "cpu.idle")) CgroupFiles.Write(dir, "cpu.idle", idle.ToString());
                else if (idle != 0) warnings.Add("this kernel has no cpu.idle: ignored");
            }
        }
        if ((cpu.Cpus is { Length: > 0 } || cpu.Mems is { Length: > 0 }) && need("cpuset", "cpuset cpus/mems") is { } cpusetDir)
        {
            if (cpu.Cpus is { Length: > 0 } cpus) CgroupFiles.Write(cpusetDir, "cpuset.cpus", cpus);
            if (cpu.Mems is { Length: > 0 } mems) CgroupFiles.Write(cpusetDir, "cpuset.mems", mems);
        }
    }

    private static void ApplyBlkio(string dir, BlockIoResources io, List<string> warnings)
    {
        // CFQ's blkio.weight is gone from current kernels; BFQ provides blkio.bfq.weight with the same scale.
        var weightFile = CgroupFiles.Exists(dir, "blkio.weight") ? "blkio.weight"
            : CgroupFiles.Exists(dir, "blkio.bfq.weight") ? "blkio.bfq.weight" : null;
        var hasWeights = io.Weight is not null || io.WeightDevice is { Count: > 0 };
        if (hasWeights && weightFile is null)
            warnings.Add("no blkio.weight or blkio.bfq.weight (no proportional I/O scheduler): block I/O weights ignored");
        if (weightFile is not null)
        {
            if (io.Weight is { } weight and > 0) CgroupFiles.Write(dir, weightFile, weight.ToString());
            foreach (var device in io.WeightDevice ?? [])
                if (device.Weight is { } w) CgroupFiles.Write(dir, weightFile + "_device", $"{device.Major}:{device.Minor} {w}");
        }
        var leafWeights = io.LeafWeight is not null || (io.WeightDevice ?? []).Any(d => d.LeafWeight is not null);
        if (leafWeights)
        {
            if (!CgroupFiles.Exists(dir, "blkio.leaf_weight")) warnings.Add("this kernel has no blkio.leaf_weight: leaf weights ignored");
            else
            {
                if (io.LeafWeight is { } leaf) CgroupFiles.Write(dir, "blkio.leaf_weight", leaf.ToString());
                foreach (var device in io.WeightDevice ?? [])
                    if (device.LeafWeight is { } lw) CgroupFiles.Write(dir, "blkio.leaf_weight_device", $"{device.Major}:{device.Minor} {lw}");
            }
        }
        void Throttle(IReadOnlyList<BlockIoDeviceThrottle>? list, string file)
        {
            foreach (var t in list ?? []) CgroupFiles.Write(dir, file, $"{t.Major}:{t.Minor} {t.Rate}");
        }
        Throttle(io.ThrottleReadBpsDevice, "blkio.throttle.read_bps_device");
        Throttle(io.ThrottleWriteBpsDevice, "blkio.throttle.write_bps_device");
        Throttle(io.ThrottleReadIopsDevice, "blkio.throttle.read_iops_device");
        Throttle(io.ThrottleWriteIopsDevice, "blkio.throttle.write_iops_device");
    }

    public void AddProcess(int pid)
    {
        foreach (var dir in _directories.Values) CgroupFiles.Write(dir, "cgroup.procs", pid.ToString());
    }

    /// <summary>CLONE_INTO_CGROUP needs a cgroup2 directory: not possible on v1.</summary>
    public int OpenV2DirectoryFd() => -1;

    public bool CanFreeze => DirectoryOf("freezer") is not null;

    private string FreezerDirectory => DirectoryOf("freezer") ?? throw new CgroupException("the freezer cgroup controller is not mounted");

    public void Freeze()
    {
        var dir = FreezerDirectory;
        CgroupFiles.Write(dir, "freezer.state", "FROZEN");
        // A task can escape freezing while forking; writing FROZEN again retries the stragglers.
        if (CgroupWaiting.Until(() => FreezerState == CgroupFreezerState.Frozen, CgroupWaiting.FreezeTimeout,
                () => CgroupFiles.Write(dir, "freezer.state", "FROZEN")))
            return;
        Thaw();
        throw new CgroupException($"{dir} did not reach FROZEN within {CgroupWaiting.FreezeTimeout.TotalSeconds} s (freezer.state)");
    }

    public void Thaw() => CgroupFiles.Write(FreezerDirectory, "freezer.state", "THAWED");

    public CgroupFreezerState FreezerState =>
        DirectoryOf("freezer") is not { } dir ? CgroupFreezerState.Thawed
        : CgroupFiles.Read(dir, "freezer.state").Trim() switch
        {
            "FROZEN" => CgroupFreezerState.Frozen,
            "FREEZING" => CgroupFreezerState.Freezing,
            _ => CgroupFreezerState.Thawed,
        };

    public IReadOnlyList<int> Pids()
    {
        var pids = new SortedSet<int>();
        foreach (var dir in _directories.Values) CgroupFiles.CollectPids(dir, pids);
        return [.. pids];
    }

    public void KillAll(int signal)
    {
        // v1 has no cgroup.kill: freeze so nothing forks between listing and signalling.
        var freeze = CanFreeze && FreezerState == CgroupFreezerState.Thawed;
        if (freeze) Freeze();
        try
        {
            foreach (var pid in Pids()) ProcessCalls.Kill(pid, signal);
        }
        finally
        {
            // Frozen v1 tasks act on a signal (even SIGKILL) only once thawed.
            if (freeze || signal == ProcessCalls.SIGKILL && CanFreeze) Thaw();
        }
    }

    public CgroupStats Stats() => CgroupV1Stats.Read(this);

    public void Delete(bool killProcesses = false)
    {
        if (CgroupDirectories.TryRemoveEmpty(_directories.Values)) return;
        if (!Exists) return;
        if (killProcesses && Pids().Count > 0)
        {
            KillAll(ProcessCalls.SIGKILL);
            CgroupWaiting.Until(() => Pids().Count == 0, TimeSpan.FromSeconds(5));
        }
        foreach (var dir in _directories.Values)
            CgroupDirectories.RemoveTree(dir, TimeSpan.FromSeconds(killProcesses ? 5 : 1));
    }
}

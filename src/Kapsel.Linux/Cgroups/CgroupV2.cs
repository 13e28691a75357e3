using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// A cgroup in the unified (v2) hierarchy: one directory. Used alone on pure v2 hosts and as the
/// v2 half of a <see cref="HybridCgroup"/>.
/// </summary>
public sealed class CgroupV2 : ICgroup
{
    /// <summary>Controllers enabled for the new cgroup when the parent offers them.</summary>
    private static readonly string[] WantedControllers = ["cpuset", "cpu", "io", "memory", "pids", "hugetlb", "rdma", "misc"];

    private readonly CgroupHierarchy _hierarchy;
    private readonly List<string> _pendingWarnings = [];

    public string Directory { get; }
    public CgroupLayoutMode Mode => CgroupLayoutMode.Unified;
    public IReadOnlyDictionary<string, string> Directories => new Dictionary<string, string> { [CgroupHierarchy.UnifiedKey] = Directory };
    public bool Exists => System.IO.Directory.Exists(Directory);

    public CgroupV2(CgroupHierarchy hierarchy, string directory)
    {
        if (hierarchy.Version != 2) throw new ArgumentException("not a cgroup2 hierarchy");
        _hierarchy = hierarchy;
        Directory = directory;
    }

    /// <summary>Creates the directory (and parents), enabling controllers level by level. Returns what it created.</summary>
    internal List<string> Create()
    {
        var created = new List<string>();
        try
        {
            CgroupDirectories.MakePath(_hierarchy.MountPoint, Directory, created, beforeLevel: EnableControllers);
        }
        catch
        {
            CgroupDirectories.RemoveCreated(created);
            throw;
        }
        return created;
    }

    /// <summary>
    /// Delegates the controllers the parent has to its children (cgroup.subtree_control). A parent
    /// that itself holds processes refuses (the "no internal processes" rule): that is a warning.
    /// </summary>
    private void EnableControllers(string parent)
    {
        var available = (CgroupFiles.ReadOptional(parent, "cgroup.controllers") ?? "").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var enabled = (CgroupFiles.ReadOptional(parent, "cgroup.subtree_control") ?? "").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        foreach (var controller in WantedControllers)
        {
            if (!available.Contains(controller) || enabled.Contains(controller)) continue;
            try { CgroupFiles.Write(parent, "cgroup.subtree_control", "+" + controller); }
            catch (CgroupException e) { _pendingWarnings.Add($"cannot enable the {controller} controller: {e.Message}"); }
        }
    }

    private IReadOnlySet<string> Controllers() =>
        (CgroupFiles.ReadOptional(Directory, "cgroup.controllers") ?? "").Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToHashSet();

    public IReadOnlyList<string> Apply(CgroupResources resources)
    {
        var warnings = new List<string>(_pendingWarnings);
        _pendingWarnings.Clear();
        var controllers = Controllers();
        bool Need(string controller, string what)
        {
            if (controllers.Contains(controller)) return true;
            warnings.Add($"the {controller} controller is not available in {Directory}: {what} ignored");
            return false;
        }

        if (resources.Memory is { } memory && Need("memory", "memory limits")) ApplyMemory(memory, warnings);
        if (resources.Cpu is { } cpu) ApplyCpu(cpu, controllers, warnings, Need);
        if (resources.Pids is { } pids && Need("pids", "the pids limit"))
            CgroupFiles.Write(Directory, "pids.max", pids.Limit <= 0 ? "max" : pids.Limit.ToString());
        if (resources.BlockIo is { } io && Need("io", "block I/O limits")) ApplyIo(io, warnings);
        if (resources.HugepageLimits is { Count: > 0 } huge && Need("hugetlb", "hugepage limits"))
            foreach (var limit in huge)
            {
                var file = $"hugetlb.{limit.PageSize}.max";
                if (!CgroupFiles.Exists(Directory, file))
                    throw new CgroupException($"hugepage size \"{limit.PageSize}\" is not supported (no {Path.Combine(Directory, file)})");
                CgroupFiles.Write(Directory, file, limit.Limit.ToString());
            }
        if (resources.Devices is { } devices) DeviceFilterBpf.Apply(Directory, devices);
        if (resources.Network is { ClassId: not null } or { Priorities.Count: > 0 })
            warnings.Add("cgroup v2 has no net_cls/net_prio: network class id and priorities ignored");
        if (resources.Unified is { } unified)
            foreach (var (key, value) in unified)
            {
                if (key.Contains('/') || key is "." or "..") throw new CgroupException($"invalid unified cgroup key \"{key}\"");
                if (!CgroupFiles.Exists(Directory, key))
                    throw new CgroupException($"unified cgroup key \"{key}\": no such file in {Directory} (controller not enabled?)");
                CgroupFiles.Write(Directory, key, value);
            }
        return warnings;
    }

    private void ApplyMemory(MemoryResources memory, List<string> warnings)
    {
        var swap = CgroupConversions.MemorySwapToV2(memory.Swap, memory.Limit);
        if (memory.Reservation is { } low) CgroupFiles.Write(Directory, "memory.low", CgroupConversions.V2Limit(low));
        // Swap first: lowering memory.max first could push pages out to a swap that is about to be forbidden.
        if (swap is { } s)
        {
            if (CgroupFiles.Exists(Directory, "memory.swap.max")) CgroupFiles.Write(Directory, "memory.swap.max", CgroupConversions.V2Limit(s));
            else if (s != -1) warnings.Add("swap accounting is not enabled on this host: the swap limit is ignored");
        }
        if (memory.Limit is { } max) CgroupFiles.Write(Directory, "memory.max", CgroupConversions.V2Limit(max));
        if (memory.Swappiness is not null) warnings.Add("cgroup v2 has no per-cgroup swappiness: memory.swappiness ignored");
        if (memory.Kernel is not null and not 0) warnings.Add("kernel memory limits are not supported: ignored");
        if (memory.KernelTcp is not null and not 0) warnings.Add("cgroup v2 has no kernel TCP memory limit: ignored");
        if (memory.DisableOomKiller == true) warnings.Add("cgroup v2 cannot disable the OOM killer: ignored");
    }

    private void ApplyCpu(CpuResources cpu, IReadOnlySet<string> controllers, List<string> warnings, Func<string, string, bool> need)
    {
        var usesCpu = cpu.Shares is not null || cpu.Quota is not null || cpu.Period is not null || cpu.Burst is not null || cpu.Idle is not null;
        if (usesCpu && need("cpu", "CPU weight and quota"))
        {
            if (cpu.Shares is { } shares and > 0) CgroupFiles.Write(Directory, "cpu.weight", CgroupConversions.CpuSharesToWeight(shares).ToString());
            if (CgroupConversions.CpuMax(cpu.Quota, cpu.Period) is { } max) CgroupFiles.Write(Directory, "cpu.max", max);
            if (cpu.Burst is { } burst) CgroupFiles.Write(Directory, "cpu.max.burst", burst.ToString());
            if (cpu.Idle is { } idle)
            {
                if (CgroupFiles.Exists(Directory, "cpu.idle")) CgroupFiles.Write(Directory, "cpu.idle", idle.ToString());
                else if (idle != 0) warnings.Add("this kernel has no cpu.idle: ignored");
            }
        }
        if (cpu.RealtimeRuntime is not null and not 0 || cpu.RealtimePeriod is not null and not 0)
            warnings.Add("cgroup v2 has no realtime CPU limits: rt runtime/period ignored");
        if ((cpu.Cpus is { Length: > 0 } || cpu.Mems is { Length: > 0 }) && need("cpuset", "cpuset cpus/mems"))
        {
            if (cpu.Cpus is { Length: > 0 } cpus) CgroupFiles.Write(Directory, "cpuset.cpus", cpus);
            if (cpu.Mems is { Length: > 0 } mems) CgroupFiles.Write(Directory, "cpuset.mems", mems);
        }
    }

    private void ApplyIo(BlockIoResources io, List<string> warnings)
    {
        // BFQ's weight file takes the v1 scale as is; the generic io.weight needs conversion.
        var bfq = CgroupFiles.Exists(Directory, "io.bfq.weight");
        var weightFile = bfq ? "io.bfq.weight" : "io.weight";
        string Weight(ulong w) => (bfq ? w : CgroupConversions.BlkioWeightToIoWeight(w)).ToString();
        if (io.Weight is { } weight and > 0)
        {
            if (bfq || CgroupFiles.Exists(Directory, "io.weight")) CgroupFiles.Write(Directory, weightFile, "default " + Weight(weight));
            else warnings.Add("no io.bfq.weight or io.weight here (no proportional I/O scheduler): the block I/O weight is ignored");
        }
        if (io.LeafWeight is not null) warnings.Add("cgroup v2 has no leaf weight: ignored");
        foreach (var device in io.WeightDevice ?? [])
        {
            if (device.Weight is { } w) CgroupFiles.Write(Directory, weightFile, $"{device.Major}:{device.Minor} {Weight(w)}");
            if (device.LeafWeight is not null) warnings.Add("cgroup v2 has no leaf weight: ignored");
        }
        void Throttle(IReadOnlyList<BlockIoDeviceThrottle>? list, string key)
        {
            foreach (var t in list ?? []) CgroupFiles.Write(Directory, "io.max", $"{t.Major}:{t.Minor} {key}={(t.Rate == 0 ? "max" : t.Rate)}");
        }
        Throttle(io.ThrottleReadBpsDevice, "rbps");
        Throttle(io.ThrottleWriteBpsDevice, "wbps");
        Throttle(io.ThrottleReadIopsDevice, "riops");
        Throttle(io.ThrottleWriteIopsDevice, "wiops");
    }

    public void AddProcess(int pid) => CgroupFiles.Write(Directory, "cgroup.procs", pid.ToString());

    public int OpenV2DirectoryFd()
    {
        try { return FileCalls.Open(Directory, FileCalls.O_RDONLY | FileCalls.O_DIRECTORY); }
        catch (SyscallException e) { throw new CgroupException($"open {Directory}", e.Errno, Directory); }
    }

    public bool CanFreeze => CgroupFiles.Exists(Directory, "cgroup.freeze");

    public void Freeze()
    {
        CgroupFiles.Write(Directory, "cgroup.freeze", "1");
        if (CgroupWaiting.Until(() => FreezerState == CgroupFreezerState.Frozen, CgroupWaiting.FreezeTimeout)) return;
        Thaw();
        throw new CgroupException($"{Directory} did not report frozen within {CgroupWaiting.FreezeTimeout.TotalSeconds} s (cgroup.events)");
    }

    public void Thaw() => CgroupFiles.Write(Directory, "cgroup.freeze", "0");

    public CgroupFreezerState FreezerState
    {
        get
        {
            if (CgroupFiles.ReadOptional(Directory, "cgroup.freeze")?.Trim() != "1") return CgroupFreezerState.Thawed;
            var events = CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(Directory, "cgroup.events"));
            return events.GetValueOrDefault("frozen") == 1 ? CgroupFreezerState.Frozen : CgroupFreezerState.Freezing;
        }
    }

    public IReadOnlyList<int> Pids()
    {
        var pids = new SortedSet<int>();
        CgroupFiles.CollectPids(Directory, pids);
        return [.. pids];
    }

    public void KillAll(int signal)
    {
        if (signal == ProcessCalls.SIGKILL && CgroupFiles.Exists(Directory, "cgroup.kill"))
        {
            CgroupFiles.Write(Directory, "cgroup.kill", "1"); // the kernel kills the whole subtree, forks included
            return;
        }
        // Frozen, nothing can fork between listing and signalling.
        var freeze = CanFreeze && FreezerState == CgroupFreezerState.Thawed;
        if (freeze) Freeze();
        try
        {
            foreach (var pid in Pids()) ProcessCalls.Kill(pid, signal);
        }
        finally
        {
            if (freeze) Thaw();
        }
    }

    public CgroupStats Stats() => CgroupV2Stats.Read(Directory);

    public void Delete(bool killProcesses = false)
    {
        if (CgroupDirectories.TryRemoveEmpty([Directory])) return;
        if (!Exists) return;
        if (killProcesses && Pids().Count > 0)
        {
            KillAll(ProcessCalls.SIGKILL);
            CgroupWaiting.Until(() => CgroupFiles.ParseKeyValues(CgroupFiles.ReadOptional(Directory, "cgroup.events")).GetValueOrDefault("populated") == 0,
                TimeSpan.FromSeconds(5));
        }
        CgroupDirectories.RemoveTree(Directory, TimeSpan.FromSeconds(killProcesses ? 5 : 1));
    }
}

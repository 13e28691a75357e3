using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// A cgroup on a hybrid host: the v1 hierarchies carry the controllers they have, and the cgroup2
/// mount carries what only it has (here: hugetlb; device filtering and freezing if v1 lacks them)
/// and the raw unified keys.
/// </summary>
public sealed class HybridCgroup : ICgroup
{
    public CgroupV1 Legacy { get; }
    public CgroupV2 Unified { get; }
    private readonly CgroupHierarchy _unifiedHierarchy;

    public CgroupLayoutMode Mode => CgroupLayoutMode.Hybrid;

    public IReadOnlyDictionary<string, string> Directories =>
        Legacy.Directories.Concat(Unified.Directories).ToDictionary(kv => kv.Key, kv => kv.Value);

    public bool Exists => Legacy.Exists || Unified.Exists;

    public HybridCgroup(CgroupV1 legacy, CgroupV2 unified, CgroupHierarchy unifiedHierarchy)
    {
        Legacy = legacy;
        Unified = unified;
        _unifiedHierarchy = unifiedHierarchy;
    }

    internal List<string> Create()
    {
        var created = Legacy.Create();
        try
        {
            created.AddRange(Unified.Create());
        }
        catch
        {
            CgroupDirectories.RemoveCreated(created);
            throw;
        }
        return created;
    }

    public IReadOnlyList<string> Apply(CgroupResources resources)
    {
        var hugetlbOnV2 = resources.HugepageLimits is { Count: > 0 } && Legacy.DirectoryOf("hugetlb") is null && _unifiedHierarchy.Has("hugetlb");
        var devicesOnV2 = resources.Devices is not null && Legacy.DirectoryOf("devices") is null;
        var legacyPart = resources with
        {
            HugepageLimits = hugetlbOnV2 ? null : resources.HugepageLimits,
            Devices = devicesOnV2 ? null : resources.Devices,
            Unified = null,
        };
        var unifiedPart = new CgroupResources
        {
            HugepageLimits = hugetlbOnV2 ? resources.HugepageLimits : null,
            Devices = devicesOnV2 ? resources.Devices : null,
            Unified = resources.Unified,
        };
        return [.. Legacy.Apply(legacyPart), .. Unified.Apply(unifiedPart)];
    }

    public void AddProcess(int pid)
    {
        Legacy.AddProcess(pid);
        Unified.AddProcess(pid);
    }

    /// <summary>CLONE_INTO_CGROUP would place the child in the v2 half only: not used on hybrid hosts.</summary>
    public int OpenV2DirectoryFd() => -1;

    private ICgroup Freezer => Legacy.CanFreeze || !Unified.CanFreeze ? Legacy : Unified;

    public void Freeze() => Freezer.Freeze();
    public void Thaw() => Freezer.Thaw();
    public CgroupFreezerState FreezerState => Freezer.FreezerState;

    public IReadOnlyList<int> Pids() => Legacy.Pids().Union(Unified.Pids()).Order().ToList();

    public void KillAll(int signal)
    {
        Legacy.KillAll(signal);
        if (signal == ProcessCalls.SIGKILL) Unified.KillAll(signal); // also catches a process that joined only the v2 half
    }

    public CgroupStats Stats()
    {
        var stats = Legacy.Stats();
        return stats.Hugetlb.Count > 0 ? stats : stats with { Hugetlb = CgroupV2Stats.ReadHugetlb(Unified.Directory) };
    }

    public void Delete(bool killProcesses = false)
    {
        if (CgroupDirectories.TryRemoveEmpty(Directories.Values)) return;
        if (killProcesses && Pids().Count > 0)
        {
            KillAll(ProcessCalls.SIGKILL);
            CgroupWaiting.Until(() => Pids().Count == 0, TimeSpan.FromSeconds(5));
        }
        Legacy.Delete(killProcesses);
        Unified.Delete(killProcesses);
    }
}

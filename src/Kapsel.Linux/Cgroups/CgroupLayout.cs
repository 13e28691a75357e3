
namespace Kapsel.Linux.Cgroups;

/// <summary>
/// The cgroup hierarchies this process sees, found from /proc/self/mountinfo and /proc/self/cgroup
/// (never from assumed paths). <see cref="Parse"/> takes those texts as parameters so every layout
/// can be tested on any host.
/// </summary>
public sealed class CgroupLayout
{
    /// <summary>Controllers a v1 mount can carry (mount options that are not controllers are ignored).</summary>
    public static readonly IReadOnlySet<string> KnownV1Controllers = new HashSet<string>
    {
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio",
        "perf_event", "hugetlb", "pids", "rdma", "misc",
    };

    public CgroupLayoutMode Mode { get; }
    public IReadOnlyList<CgroupHierarchy> Hierarchies { get; }

    /// <summary>The cgroup2 hierarchy, or null on pure v1.</summary>
    public CgroupHierarchy? Unified { get; }

    /// <summary>The v1 hierarchies (controller and named ones).</summary>
    public IReadOnlyList<CgroupHierarchy> Legacy { get; }

    private CgroupLayout(IReadOnlyList<CgroupHierarchy> hierarchies)
    {
        Hierarchies = hierarchies;
        Unified = hierarchies.FirstOrDefault(h => h.Version == 2);
        Legacy = hierarchies.Where(h => h.Version == 1).ToList();
        var v1Controllers = Legacy.Any(h => h.Controllers.Count > 0);
        if (Unified is null && Legacy.Count == 0)
            throw new CgroupException("no cgroup or cgroup2 file system is mounted (see /proc/self/mountinfo)");
        Mode = !v1Controllers ? (Unified is not null ? CgroupLayoutMode.Unified : CgroupLayoutMode.Legacy)
            : Unified is not null ? CgroupLayoutMode.Hybrid : CgroupLayoutMode.Legacy;
        if (Mode == CgroupLayoutMode.Unified) Legacy = []; // a lone name=systemd v1 mount carries no resources
    }

    /// <summary>The v1 hierarchy that carries a controller, or null if it is not mounted.</summary>
    public CgroupHierarchy? V1(string controller) => Legacy.FirstOrDefault(h => h.Has(controller));

    /// <summary>Reads this process's view of the host.</summary>
    public static CgroupLayout Detect() =>
        Parse(File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText("/proc/self/cgroup"),
            path => File.Exists(path) ? File.ReadAllText(path) : null);

    /// <param name="mountinfo">Text of /proc/self/mountinfo.</param>
    /// <param name="procSelfCgroup">Text of /proc/self/cgroup.</param>
    /// <param name="readFile">Reads a file (used for cgroup.controllers of a cgroup2 mount); null if absent.</param>
    public static CgroupLayout Parse(string mountinfo, string procSelfCgroup, Func<string, string?> readFile)
    {
        var currentPaths = ParseProcCgroup(procSelfCgroup);
        var hierarchies = new List<CgroupHierarchy>();
        foreach (var mount in Fs.MountInfo.Parse(mountinfo))
        {
            CgroupHierarchy hierarchy;
            if (mount.FsType == "cgroup2")
            {
                var controllers = (readFile(mount.MountPoint.TrimEnd('/') + "/cgroup.controllers") ?? "")
                    .Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
                hierarchy = new CgroupHierarchy(2, mount.MountPoint, mount.Root, controllers, null,
                    currentPaths.GetValueOrDefault(CgroupHierarchy.UnifiedKey, "/"));
            }
            else if (mount.FsType == "cgroup")
            {
                var options = mount.SuperOptions.Split(',');
                var controllers = options.Where(KnownV1Controllers.Contains).Order(StringComparer.Ordinal).ToList();
                var name = options.FirstOrDefault(o => o.StartsWith("name=", StringComparison.Ordinal))?[5..];
                if (controllers.Count == 0 && name is null) continue;
                var key = name is not null && controllers.Count == 0 ? "name=" + name : string.Join(",", controllers);
                hierarchy = new CgroupHierarchy(1, mount.MountPoint, mount.Root, controllers,
                    controllers.Count == 0 ? name : null, currentPaths.GetValueOrDefault(key, "/"));
            }
            else continue;

            // The same hierarchy may be mounted more than once (bind mounts): keep the first,
            // unless a later one shows the whole hierarchy.
            var existing = hierarchies.FindIndex(h => h.Key == hierarchy.Key);
            if (existing < 0) hierarchies.Add(hierarchy);
            else if (hierarchies[existing].MountRoot != "/" && hierarchy.MountRoot == "/") hierarchies[existing] = hierarchy;
        }
        return new CgroupLayout(hierarchies);
    }

    /// <summary>
    /// The directory of an OCI cgroupsPath in every hierarchy, keyed by <see cref="CgroupHierarchy.Key"/>
    /// (the map to store so that a later process can reopen the same cgroup).
    /// </summary>
    public IReadOnlyDictionary<string, string> ResolveDirectories(string cgroupsPath)
    {
        var result = new Dictionary<string, string>();
        foreach (var h in Mode == CgroupLayoutMode.Unified ? [Unified!] : Hierarchies)
            result[h.Key] = h.DirectoryFor(cgroupsPath);
        return result;
    }

    /// <summary>Maps /proc/self/cgroup lines to hierarchy keys: "unified", "name=systemd", "cpu,cpuacct".</summary>
    internal static Dictionary<string, string> ParseProcCgroup(string text)
    {
        var result = new Dictionary<string, string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[0] == "0" && parts[1].Length == 0) { result[CgroupHierarchy.UnifiedKey] = parts[2]; continue; }
            var names = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries);
            var controllers = names.Where(n => !n.StartsWith("name=", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            var key = controllers.Count > 0 ? string.Join(",", controllers) : names.FirstOrDefault() ?? "";
            result[key] = parts[2];
        }
        return result;
    }
}

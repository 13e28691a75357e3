namespace Kapsel.Linux.Cgroups;

/// <summary>How the host mounts its cgroups.</summary>
public enum CgroupLayoutMode
{
    /// <summary>Pure cgroup v2: one unified hierarchy holds every controller.</summary>
    Unified,

    /// <summary>v1 controller hierarchies plus a cgroup2 mount (usually /sys/fs/cgroup/unified) for the rest.</summary>
    Hybrid,

    /// <summary>Pure cgroup v1.</summary>
    Legacy,
}

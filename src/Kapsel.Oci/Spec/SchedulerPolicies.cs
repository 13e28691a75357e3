namespace Kapsel.Oci.Spec;

/// <summary>sched_setattr(2) policy and flag names used by process.scheduler.</summary>
public static class SchedulerPolicies
{
    private static readonly string[] Policies = ["SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"];

    public static int Number(string policy) => Array.IndexOf(Policies, policy);

    public static ulong Flag(string name) => name switch
    {
        "SCHED_FLAG_RESET_ON_FORK" => 0x01,
        "SCHED_FLAG_RECLAIM" => 0x02,
        "SCHED_FLAG_DL_OVERRUN" => 0x04,
        "SCHED_FLAG_KEEP_POLICY" => 0x08,
        "SCHED_FLAG_KEEP_PARAMS" => 0x10,
        "SCHED_FLAG_UTIL_CLAMP_MIN" => 0x20,
        "SCHED_FLAG_UTIL_CLAMP_MAX" => 0x40,
        _ => 0,
    };
}

/// <summary>set_mempolicy(2) modes for linux.memoryPolicy (runtime-spec 1.3).</summary>
public static class MemoryPolicyModes
{
    private static readonly string[] Modes = ["MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE"];

    public static int Number(string mode) => Array.IndexOf(Modes, mode);

    public static uint Flag(string name) => name switch
    {
        "MPOL_F_STATIC_NODES" => 1u << 15,
        "MPOL_F_RELATIVE_NODES" => 1u << 14,
        "MPOL_F_NUMA_BALANCING" => 1u << 13,
        _ => 0,
    };
}

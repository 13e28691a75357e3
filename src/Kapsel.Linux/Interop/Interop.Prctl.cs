namespace Kapsel.Linux.Interop;

/// <summary>prctl(2) options used by process setup.</summary>
public static class PrctlCalls
{
    public const int PR_SET_PDEATHSIG = 1, PR_SET_DUMPABLE = 4, PR_SET_KEEPCAPS = 8, PR_SET_NAME = 15,
        PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24, PR_SET_CHILD_SUBREAPER = 36, PR_SET_NO_NEW_PRIVS = 38,
        PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    public static long Prctl(int option, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0) =>
        SyscallException.Check(Sys.Syscall(Sys.SYS_prctl, option, a2, a3, a4, a5), $"prctl({option}, {a2})");

    /// <summary>Makes this process the reaper of its orphaned descendants.</summary>
    public static void SetChildSubreaper() => Prctl(PR_SET_CHILD_SUBREAPER, 1);
}

namespace Kapsel.Linux.Interop;

/// <summary>prlimit64(2) and the RLIMIT_* names used by OCI configs.</summary>
public static unsafe class RlimitCalls
{
    public const ulong Infinity = ulong.MaxValue;

    public static readonly string[] Names =
    [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
        "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
        "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ];

    public static int Parse(string name)
    {
        var i = Array.IndexOf(Names, name.Trim().ToUpperInvariant());
        if (i < 0) throw new ArgumentException($"unknown rlimit \"{name}\"");
        return i;
    }

    /// <summary>Current (soft, hard) limit of a resource for process pid (0 = self).</summary>
    public static (ulong Soft, ulong Hard) Get(int resource, int pid = 0)
    {
        ulong* old = stackalloc ulong[2];
        SyscallException.Check(Sys.Syscall(Sys.SYS_prlimit64, pid, resource, 0, (long)old), $"prlimit64({pid}, {Names[resource]})");
        return (old[0], old[1]);
    }
}

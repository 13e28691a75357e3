namespace Kapsel.Oci.Seccomp;

/// <summary>SECCOMP_FILTER_FLAG_* (linux/seccomp.h) and their names in linux.seccomp.flags.</summary>
public static class SeccompFilterFlags
{
    public const uint Tsync = 1, Log = 2, SpecAllow = 4, NewListener = 8, TsyncEsrch = 16, WaitKillableRecv = 32;

    /// <summary>The flags a profile may name (runc's knownFlags plus WAIT_KILLABLE_RECV).</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ];

    public static uint Parse(string name, string field) => name switch
    {
        "SECCOMP_FILTER_FLAG_TSYNC" => Tsync,
        "SECCOMP_FILTER_FLAG_LOG" => Log,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => SpecAllow,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => WaitKillableRecv,
        _ => throw new SeccompProfileException(field, $"unknown flag \"{name}\""),
    };

    public static string NameOf(uint flag) => flag switch
    {
        Tsync => "SECCOMP_FILTER_FLAG_TSYNC",
        Log => "SECCOMP_FILTER_FLAG_LOG",
        SpecAllow => "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        NewListener => "SECCOMP_FILTER_FLAG_NEW_LISTENER",
        TsyncEsrch => "SECCOMP_FILTER_FLAG_TSYNC_ESRCH",
        WaitKillableRecv => "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
        _ => $"0x{flag:x}",
    };
}

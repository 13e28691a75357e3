namespace Kapsel.Oci.Seccomp;

/// <summary>A seccomp action and the 32-bit value the filter returns for it (SECCOMP_RET_* | data).</summary>
public readonly record struct SeccompAction(string Name, uint ReturnValue)
{
    public const uint RetKillProcess = 0x80000000, RetKillThread = 0x00000000, RetTrap = 0x00030000,
        RetErrno = 0x00050000, RetUserNotif = 0x7fc00000, RetTrace = 0x7ff00000, RetLog = 0x7ffc0000,
        RetAllow = 0x7fff0000, ActionMask = 0xffff0000, DataMask = 0x0000ffff;

    private const uint EPERM = 1, ENOSYS = 38;

    /// <summary>Every action name of the runtime spec, in the order runc's features lists them.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
        "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
    ];

    public static SeccompAction Allow => new("SCMP_ACT_ALLOW", RetAllow);
    public static SeccompAction KillProcess => new("SCMP_ACT_KILL_PROCESS", RetKillProcess);
    public static SeccompAction Errno(uint errno) => new("SCMP_ACT_ERRNO", RetErrno | errno);
    public static SeccompAction Enosys => Errno(ENOSYS);

    public bool IsNotify => (ReturnValue & ActionMask) == RetUserNotif;

    /// <summary>Actions that let syscalls run (a tracer may emulate unknown ones): new syscalls need no ENOSYS for them.</summary>
    public bool LetsSyscallsRun => (ReturnValue & ActionMask) is RetAllow or RetLog or RetTrace;

    /// <summary>
    /// Parses an action. errnoRet applies to SCMP_ACT_ERRNO (default EPERM) and SCMP_ACT_TRACE (the
    /// tracer's message data, default EPERM as runc does); elsewhere it is an error.
    /// SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD, as in libseccomp and runc.
    /// </summary>
    public static SeccompAction Parse(string name, uint? errnoRet, string field, string errnoField)
    {
        uint? value = name switch
        {
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => RetKillThread,
            "SCMP_ACT_KILL_PROCESS" => RetKillProcess,
            "SCMP_ACT_TRAP" => RetTrap,
            "SCMP_ACT_ERRNO" => RetErrno,
            "SCMP_ACT_TRACE" => RetTrace,
            "SCMP_ACT_ALLOW" => RetAllow,
            "SCMP_ACT_LOG" => RetLog,
            "SCMP_ACT_NOTIFY" => RetUserNotif,
            _ => null,
        };
        if (value is not { } ret) throw new SeccompProfileException(field, $"unknown action \"{name}\"");
        if (ret is RetErrno or RetTrace)
        {
            var data = errnoRet ?? EPERM;
            if (data > DataMask) throw new SeccompProfileException(errnoField, $"{data} does not fit the 16-bit action data");
            return new SeccompAction(name, ret | data);
        }
        if (errnoRet is not null)
            throw new SeccompProfileException(errnoField, $"only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errnoRet, not {name}");
        return new SeccompAction(name, ret);
    }

    /// <summary>A readable name for a filter return value, e.g. ERRNO(1) or ALLOW.</summary>
    public static string Describe(uint value) => (value & ActionMask) switch
    {
        RetKillProcess => "KILL_PROCESS",
        RetKillThread => "KILL_THREAD",
        RetTrap => $"TRAP({value & DataMask})",
        RetErrno => $"ERRNO({value & DataMask})",
        RetUserNotif => "NOTIFY",
        RetTrace => $"TRACE({value & DataMask})",
        RetLog => "LOG",
        RetAllow => "ALLOW",
        _ => $"0x{value:x8}",
    };

    public override string ToString() => Describe(ReturnValue);
}

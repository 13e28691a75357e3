namespace Kapsel.Linux.Interop;

/// <summary>Capability numbers and names (linux/capability.h), and capget for the current process.</summary>
public static unsafe class CapabilityCalls
{
    public const int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    public static readonly string[] Names =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>Highest capability the running kernel knows (from /proc/sys/kernel/cap_last_cap).</summary>
    public static int LastCap
    {
        get
        {
            try { return int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim()); }
            catch { return Names.Length - 1; }
        }
    }

    /// <summary>Parses "CAP_NET_ADMIN" (case-insensitive, "CAP_" optional) to its number.</summary>
    public static int Parse(string name)
    {
        var n = name.Trim().ToUpperInvariant();
        if (!n.StartsWith("CAP_")) n = "CAP_" + n;
        var i = Array.IndexOf(Names, n);
        if (i < 0) throw new ArgumentException($"unknown capability \"{name}\"");
        return i;
    }

    /// <summary>Effective/permitted/inheritable sets of this process as 64-bit masks.</summary>
    public static (ulong Effective, ulong Permitted, ulong Inheritable) Get()
    {
        int* header = stackalloc int[2];
        header[0] = LINUX_CAPABILITY_VERSION_3;
        header[1] = 0;
        uint* data = stackalloc uint[6];
        SyscallException.Check(Sys.Syscall(Sys.SYS_capget, (long)header, (long)data), "capget");
        return (data[0] | ((ulong)data[3] << 32), data[1] | ((ulong)data[4] << 32), data[2] | ((ulong)data[5] << 32));
    }
}

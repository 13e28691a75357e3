namespace Kapsel.Oci.Seccomp;

/// <summary>
/// A linux.seccomp.architectures token and the AUDIT_ARCH_* value the kernel puts in seccomp_data.arch.
/// Only the x86 family can occur on the x86-64 kernels Kapsel runs on, so only those have syscall tables;
/// the others are accepted (profiles list them for portability) and compile to nothing.
/// </summary>
public sealed record SeccompArchitecture(string Token, uint AuditArch)
{
    /// <summary>The x32 ABI shares AUDIT_ARCH_X86_64; its syscall numbers carry this bit.</summary>
    public const uint X32SyscallBit = 0x40000000;

    public static readonly SeccompArchitecture X86 = new("SCMP_ARCH_X86", 0x40000003);
    public static readonly SeccompArchitecture X86_64 = new("SCMP_ARCH_X86_64", 0xc000003e);
    public static readonly SeccompArchitecture X32 = new("SCMP_ARCH_X32", 0xc000003e);

    /// <summary>Every token of the runtime spec (config-linux.md#seccomp).</summary>
    public static readonly IReadOnlyList<SeccompArchitecture> All =
    [
        X86, X86_64, X32,
        new("SCMP_ARCH_ARM", 0x40000028), new("SCMP_ARCH_AARCH64", 0xc00000b7),
        new("SCMP_ARCH_MIPS", 0x00000008), new("SCMP_ARCH_MIPS64", 0x80000008), new("SCMP_ARCH_MIPS64N32", 0xa0000008),
        new("SCMP_ARCH_MIPSEL", 0x40000008), new("SCMP_ARCH_MIPSEL64", 0xc0000008), new("SCMP_ARCH_MIPSEL64N32", 0xe0000008),
        new("SCMP_ARCH_PPC", 0x00000014), new("SCMP_ARCH_PPC64", 0x80000015), new("SCMP_ARCH_PPC64LE", 0xc0000015),
        new("SCMP_ARCH_S390", 0x00000016), new("SCMP_ARCH_S390X", 0x80000016),
        new("SCMP_ARCH_PARISC", 0x0000000f), new("SCMP_ARCH_PARISC64", 0x8000000f),
        new("SCMP_ARCH_RISCV64", 0xc00000f3), new("SCMP_ARCH_LOONGARCH64", 0xc0000102),
        new("SCMP_ARCH_M68K", 0x00000004), new("SCMP_ARCH_SH", 0x4000002a), new("SCMP_ARCH_SHEB", 0x0000002a),
    ];

    /// <summary>The architecture of the kernel and of Kapsel's own processes.</summary>
    public static SeccompArchitecture Native => X86_64;

    public static SeccompArchitecture Parse(string token, string field) =>
        All.FirstOrDefault(a => a.Token == token)
        ?? throw new SeccompProfileException(field, $"unknown architecture \"{token}\"");

    /// <summary>The syscall table of an architecture that can run on this kernel, or null.</summary>
    internal SyscallTable? Table =>
        ReferenceEquals(this, X86_64) ? SyscallTables.X86_64
        : ReferenceEquals(this, X86) ? SyscallTables.I386
        : ReferenceEquals(this, X32) ? SyscallTables.X32
        : null;

    /// <summary>i386 arguments are 32-bit registers: only the low halves are compared (as libseccomp does).</summary>
    internal bool Has32BitArguments => ReferenceEquals(this, X86);
}

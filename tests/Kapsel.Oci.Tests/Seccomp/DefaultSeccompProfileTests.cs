using Kapsel.Oci.Seccomp;
using Xunit.Abstractions;

namespace Kapsel.Oci.Tests.Seccomp;

public sealed class DefaultSeccompProfileTests(ITestOutputHelper output)
{
    private const uint X64 = BpfInterpreter.AuditArchX86_64, I386 = BpfInterpreter.AuditArchI386;
    private const uint Allow = 0x7fff0000, Eperm = 0x50001, Enosys = 0x50000 | 38;

    /// <summary>Docker's default capability set (no CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_BOOT ...).</summary>
    internal static readonly string[] DockerCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    private static (SeccompProfile Profile, CompiledSeccomp Compiled, BpfInstruction[] Program) Build(params string[] caps)
    {
        var profile = DefaultSeccompProfile.Create(caps);
        var compiled = SeccompCompiler.Compile(profile);
        return (profile, compiled, SeccompCompilerTests.Program(compiled));
    }

    private static uint Nr64(string name) => SyscallTables.X86_64.TryGetNumber(name, out var nr) ? nr : throw new ArgumentException(name);

    [Fact]
    public void CompilesWithoutWarningsAndStaysSmall()
    {
        var (_, compiled, _) = Build(DockerCapabilities);
        var (_, all, _) = Build("CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_SYS_TIME");
        output.WriteLine($"default profile, Docker capabilities: {compiled.InstructionCount} instructions");
        output.WriteLine($"default profile, privileged capabilities: {all.InstructionCount} instructions");
        var nativeOnly = DefaultSeccompProfile.Create(DockerCapabilities);
        nativeOnly.Architectures = ["SCMP_ARCH_X86_64"];
        output.WriteLine($"default profile, x86-64 only: {SeccompCompiler.Compile(nativeOnly).InstructionCount} instructions");
        var program = SeccompCompilerTests.Program(compiled);
        var paths = SyscallTables.X86_64.Names.Select(name =>
        {
            SyscallTables.X86_64.TryGetNumber(name, out var nr);
            BpfInterpreter.Run(program, nr, X64, [0, 0, 0, 0, 0, 0], out var executed);
            return executed;
        }).ToList();
        output.WriteLine($"x86-64 syscalls: {paths.Average():F1} instructions executed on average, {paths.Max()} at most");
        Assert.True(paths.Max() <= 20, $"longest path {paths.Max()}");
        Assert.Empty(compiled.Warnings);
        Assert.Equal(0u, compiled.Flags);
        Assert.InRange(compiled.InstructionCount, 50, 800); // libseccomp's linear chain for Docker's profile: ~1000+
    }

    [Fact]
    public void OrdinarySyscallsAreAllowedAndPrivilegedOnesAreNot()
    {
        var (_, _, program) = Build(DockerCapabilities);
        foreach (var name in new[] { "read", "write", "openat", "execve", "mkdir", "clock_gettime", "arch_prctl", "rseq", "ptrace", "chroot" })
            Assert.Equal(Allow, BpfInterpreter.Run(program, Nr64(name), X64));
        foreach (var name in new[] { "mount", "umount2", "unshare", "setns", "reboot", "init_module", "kexec_load", "bpf", "pivot_root", "keyctl", "kcmp" })
            Assert.Equal(Eperm, BpfInterpreter.Run(program, Nr64(name), X64));
        Assert.Equal(Allow, BpfInterpreter.Run(program, 39 /* i386 mkdir */, I386));
        Assert.Equal(Allow, BpfInterpreter.Run(program, 0x40000000 + 83 /* x32 mkdir */, X64));
    }

    [Fact]
    public void CapabilitiesUnlockTheirSyscalls()
    {
        var (_, _, program) = Build([.. DockerCapabilities, "CAP_SYS_ADMIN", "sys_ptrace", "CAP_SYS_BOOT"]);
        foreach (var name in new[] { "mount", "umount2", "unshare", "setns", "clone3", "kcmp", "reboot" })
            Assert.Equal(Allow, BpfInterpreter.Run(program, Nr64(name), X64));
        Assert.Equal(Allow, BpfInterpreter.Run(program, Nr64("clone"), X64, [0x10000000 /* CLONE_NEWUSER */]));
        Assert.Equal(Eperm, BpfInterpreter.Run(program, Nr64("init_module"), X64));
    }

    [Fact]
    public void CloneMayNotCreateNamespacesWithoutSysAdmin()
    {
        var (_, _, program) = Build(DockerCapabilities);
        const ulong threadFlags = 0x003d0f00; // what pthread_create passes
        Assert.Equal(Allow, BpfInterpreter.Run(program, Nr64("clone"), X64, [threadFlags]));
        Assert.Equal(Allow, BpfInterpreter.Run(program, Nr64("clone"), X64, [0x01200011])); // fork()
        foreach (var ns in new ulong[] { 0x00020000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x02000000 })
            Assert.Equal(Eperm, BpfInterpreter.Run(program, Nr64("clone"), X64, [ns | 0x11]));
        Assert.Equal(Enosys, BpfInterpreter.Run(program, Nr64("clone3"), X64));
        Assert.Equal(Eperm, BpfInterpreter.Run(program, 120 /* i386 clone */, I386, [0x20000000]));
    }

    [Fact]
    public void PersonalityAndSocketFamiliesAreFiltered()
    {
        var (_, _, program) = Build(DockerCapabilities);
        Assert.Equal(Allow, BpfInterpreter.Run(program, Nr64("personality"), X64, [0xffffffff]));
        Assert.Equal(Allow, BpfInterpreter.Run(program, Nr64("personality"), X64, [0x8]));
        Assert.Equal(Eperm, BpfInterpreter.Run(program, Nr64("personality"), X64, [0x0040000 /* READ_IMPLIES_EXEC */]));
        Assert.Equal(Allow, BpfInterpreter.Run(program, Nr64("socket"), X64, [2 /* AF_INET */]));
        Assert.Equal(Eperm, BpfInterpreter.Run(program, Nr64("socket"), X64, [40 /* AF_VSOCK */]));
    }

    [Fact]
    public void SyscallsNewerThanTheProfileGetEnosys()
    {
        var (_, _, program) = Build(DockerCapabilities);
        Assert.Equal(Enosys, BpfInterpreter.Run(program, 600, X64));
        Assert.Equal(Enosys, BpfInterpreter.Run(program, 600, I386));
    }

    [Fact]
    public void EveryNameIsAKnownSyscall()
    {
        var profile = DefaultSeccompProfile.Create(["CAP_SYS_ADMIN"]);
        foreach (var name in profile.Syscalls!.SelectMany(r => r.Names))
            Assert.True(SyscallTables.IsKnown(name), name);
    }

    [Fact]
    public void MatchesTheOracleEverywhere()
    {
        var random = new Random(3);
        foreach (var caps in new[] { DockerCapabilities, [.. DockerCapabilities, "CAP_SYS_ADMIN"] })
        {
            var (profile, _, program) = Build(caps);
            foreach (var (arch, top) in new[] { (X64, 480u), (I386, 480u), (X64, 0x40000000u + 560) })
                for (var nr = arch == X64 && top > 0x40000000 ? 0x40000000u : 0u; nr <= top; nr++)
                {
                    ulong[] args = [(ulong)random.NextInt64() & 0x7fffffff, 0, 0, 0, 0, 0];
                    if (random.Next(3) == 0) args[0] = 40;
                    Assert.Equal(ProfileOracle.Decide(profile, arch, nr, args), BpfInterpreter.Run(program, nr, arch, args));
                }
        }
    }

    [Fact]
    public void RoundTripsThroughJson()
    {
        var profile = DefaultSeccompProfile.Create(DockerCapabilities);
        var json = System.Text.Json.JsonSerializer.Serialize(profile, SeccompJsonContext.Default.SeccompProfile);
        Assert.Contains("\"defaultErrnoRet\": 1", json);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, SeccompJsonContext.Default.SeccompProfile)!;
        Assert.Equal(SeccompCompiler.Compile(profile).Program, SeccompCompiler.Compile(back).Program);
    }
}

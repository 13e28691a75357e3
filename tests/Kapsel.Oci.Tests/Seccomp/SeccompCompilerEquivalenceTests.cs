using Kapsel.Oci.Seccomp;
using static Kapsel.Oci.Tests.Seccomp.SeccompCompilerTests;

namespace Kapsel.Oci.Tests.Seccomp;

/// <summary>
/// The main correctness check: compiled programs, run in the BPF interpreter, must decide exactly as the
/// profile semantics (ProfileOracle) say, over many random profiles and (arch, nr, args) inputs.
/// </summary>
public sealed class SeccompCompilerEquivalenceTests
{
    private static readonly string[] NamePool =
    [
        "read", "write", "open", "close", "mkdir", "personality", "socket", "clone", "ioctl", "mmap", "chown32",
        "rt_sigaction", "execve", "futex", "openat2", "mseal", "socketcall", "waitpid", "getpid", "kill",
        "no_such_syscall",
    ];

    private static readonly string[] Actions =
    [
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_TRACE",
        "SCMP_ACT_KILL",
    ];

    private static readonly string[] Ops =
    [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ];

    private static readonly ulong[] Interesting =
    [
        0, 1, 2, 8, 40, 0x7fffffff, 0x80000000, 0xffffffff, 0x1_0000_0000, 0x1_0000_0001, 0xffff_ffff_0000_0000,
        0xffff_ffff_ffff_fffe, ulong.MaxValue, 0x7e020000, 0x0000_0002_8000_0000,
    ];

    private static readonly uint[] Arches = [BpfInterpreter.AuditArchX86_64, BpfInterpreter.AuditArchI386, BpfInterpreter.AuditArchAarch64];

    private static ulong Pick(Random random) =>
        random.Next(4) == 0 ? (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40) : Interesting[random.Next(Interesting.Length)];

    private static SeccompProfile RandomProfile(Random random)
    {
        var rules = new List<SeccompSyscallRule>();
        for (var i = random.Next(0, 12); i > 0; i--)
        {
            var action = Actions[random.Next(Actions.Length)];
            var args = new List<SeccompArg>();
            for (var j = random.Next(0, 4) - 1; j > 0; j--)
                args.Add(Arg((uint)random.Next(0, 3), Ops[random.Next(Ops.Length)], Pick(random), Pick(random)));
            rules.Add(new SeccompSyscallRule
            {
                Names = Enumerable.Range(0, random.Next(1, 4)).Select(_ => NamePool[random.Next(NamePool.Length)]).Distinct().ToList(),
                Action = action,
                ErrnoRet = action is "SCMP_ACT_ERRNO" or "SCMP_ACT_TRACE" && random.Next(2) == 0 ? (uint)random.Next(1, 200) : null,
                Args = args.Count > 0 ? args : null,
            });
        }
        var archChoices = new[] { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64" };
        return new SeccompProfile
        {
            DefaultAction = new[] { "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_LOG" }[random.Next(4)],
            Architectures = archChoices.Where(_ => random.Next(2) == 0).ToList(),
            Syscalls = rules,
        };
    }

    /// <summary>Syscall numbers worth probing: the profile's, their neighbours, edges of every domain.</summary>
    private static List<(uint Arch, uint Nr)> Probes(SeccompProfile profile, Random random)
    {
        var result = new List<(uint, uint)>();
        var names = (profile.Syscalls ?? []).SelectMany(r => r.Names).Append("getpid").Distinct();
        foreach (var name in names)
            foreach (var (arch, table) in new[] { (BpfInterpreter.AuditArchX86_64, SyscallTables.X86_64), (BpfInterpreter.AuditArchX86_64, SyscallTables.X32), (BpfInterpreter.AuditArchI386, SyscallTables.I386) })
                if (table.TryGetNumber(name, out var nr))
                    foreach (var n in new[] { nr - 1, nr, nr + 1 }) result.Add((arch, n));
        foreach (var arch in Arches)
            foreach (var nr in new uint[] { 0, 469, 470, 1000, 0x3fffffff, 0x40000000, 0x40000000 + 547, 0x40000000 + 600, uint.MaxValue, (uint)random.Next() })
                result.Add((arch, nr));
        return result;
    }

    private static void AssertEquivalent(SeccompProfile profile, CompiledSeccomp compiled, Random random, int argSamples)
    {
        var program = Program(compiled);
        var argCandidates = (profile.Syscalls ?? []).SelectMany(r => r.Args ?? [])
            .SelectMany(a => new[] { a.Value, a.Value + 1, a.Value - 1, a.ValueTwo, a.ValueTwo | ~a.Value, a.Value ^ 0x1_0000_0000 })
            .Concat(Interesting).ToArray();
        foreach (var (arch, nr) in Probes(profile, random))
            for (var s = 0; s < argSamples; s++)
            {
                var args = Enumerable.Range(0, 6).Select(_ => argCandidates[random.Next(argCandidates.Length)]).ToArray();
                var expected = ProfileOracle.Decide(profile, arch, nr, args);
                var actual = BpfInterpreter.Run(program, nr, arch, args);
                if (expected != actual)
                    Assert.Fail($"arch 0x{arch:x} nr 0x{nr:x} args [{string.Join(", ", args.Select(a => $"0x{a:x}"))}]: " +
                        $"expected {SeccompAction.Describe(expected)}, program says {SeccompAction.Describe(actual)}\n" +
                        $"profile: {System.Text.Json.JsonSerializer.Serialize(profile, SeccompJsonContext.Default.SeccompProfile)}\n" +
                        SeccompDisassembler.Disassemble(compiled.Program));
            }
    }

    [Fact]
    public void RandomProfilesDecideAsSpecified()
    {
        var random = new Random(20240611);
        for (var i = 0; i < 400; i++)
        {
            var profile = RandomProfile(random);
            AssertEquivalent(profile, SeccompCompiler.Compile(profile), random, argSamples: 12);
        }
    }

    [Fact]
    public void LongProgramsUseJumpTrampolinesAndStayCorrect()
    {
        // 100 syscalls with three 64-bit conditions each: sections far beyond the 255-instruction reach of jt/jf.
        var random = new Random(7);
        var names = SyscallTables.X86_64.Names.Where(n => SyscallTables.I386.TryGetNumber(n, out _)).Take(100).ToList();
        var rules = names.Select((name, i) => new SeccompSyscallRule
        {
            Names = [name],
            Action = i % 3 == 0 ? "SCMP_ACT_ALLOW" : "SCMP_ACT_ERRNO",
            ErrnoRet = i % 3 == 0 ? null : (uint)(i % 100 + 1),
            Args =
            [
                Arg(0, Ops[i % Ops.Length], Pick(random), Pick(random)),
                Arg(1, Ops[(i + 3) % Ops.Length], Pick(random), Pick(random)),
                Arg(2, Ops[(i + 5) % Ops.Length], Pick(random), Pick(random)),
            ],
        }).Append(Rule("SCMP_ACT_ALLOW", [.. names.Where((_, i) => i % 2 == 0)])).ToList();
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_KILL_PROCESS",
            Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            Syscalls = rules,
        };
        var compiled = SeccompCompiler.Compile(profile);
        var program = Program(compiled);
        Assert.True(compiled.InstructionCount > 2000, $"{compiled.InstructionCount} instructions");
        Assert.Contains(program, i => i.Code == (Bpf.JMP | Bpf.JA) && i.K > 255);
        AssertEquivalent(profile, compiled, random, argSamples: 40);
    }

    [Fact]
    public void TooLongProgramsAreRejected()
    {
        var names = SyscallTables.X86_64.Names.ToList();
        var rules = Enumerable.Range(0, 6).SelectMany(round => names.Select(name => new SeccompSyscallRule
        {
            Names = [name], Action = "SCMP_ACT_ALLOW", Args = [Arg((uint)round, "SCMP_CMP_GT", 0x1_0000_0000 + (ulong)round)],
        })).ToList();
        var profile = new SeccompProfile { DefaultAction = "SCMP_ACT_ERRNO", Architectures = ["SCMP_ARCH_X86", "SCMP_ARCH_X32"], Syscalls = rules };
        var e = Assert.Throws<SeccompProfileException>(() => SeccompCompiler.Compile(profile));
        Assert.Contains("4096", e.Message);
    }
}

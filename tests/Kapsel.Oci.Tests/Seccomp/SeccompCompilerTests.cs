using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Tests.Seccomp;

public sealed class SeccompCompilerTests
{
    private const uint X64 = BpfInterpreter.AuditArchX86_64, I386 = BpfInterpreter.AuditArchI386;
    private const uint Allow = 0x7fff0000, KillProcess = 0x80000000;

    internal static SeccompSyscallRule Rule(string action, params string[] names) => new() { Names = [.. names], Action = action };

    internal static SeccompArg Arg(uint index, string op, ulong value, ulong valueTwo = 0) =>
        new() { Index = index, Op = op, Value = value, ValueTwo = valueTwo };

    internal static BpfInstruction[] Program(CompiledSeccomp compiled)
    {
        var program = BpfInstruction.Decode(compiled.Program);
        BpfInterpreter.Validate(program);
        return program;
    }

    [Fact]
    public void TinyProfileCompilesToExpectedInstructions()
    {
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscallRule { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 38 }],
        };
        var compiled = SeccompCompiler.Compile(profile);
        var expected = """
            l0:	ld [4]                              ; arch
            l1:	jeq #0xc000003e, l3, l2
            l2:	ret #0x80000000                     ; KILL_PROCESS
            l3:	ld [0]                              ; nr
            l4:	jge #0x40000000, l5, l6
            l5:	ret #0x80000000                     ; KILL_PROCESS
            l6:	jge #0x53, l8, l7
            l7:	ret #0x7fff0000                     ; ALLOW
            l8:	jge #0x54, l10, l9
            l9:	ret #0x50026                        ; ERRNO(38)
            l10:	ret #0x7fff0000                    ; ALLOW

            """;
        Assert.Equal(expected.Replace("\r", ""), SeccompDisassembler.Disassemble(compiled.Program));
        Assert.Equal(11, compiled.InstructionCount);
        Assert.Equal(0u, compiled.Flags);
        Assert.False(compiled.NeedsListener);
        Assert.Empty(compiled.Warnings);
    }

    [Fact]
    public void ArgumentConditionIsCheckedHighHalfThenLowHalf()
    {
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscallRule { Names = ["personality"], Action = "SCMP_ACT_ERRNO", Args = [Arg(0, "SCMP_CMP_EQ", 0x1_0000_0002)] }],
        };
        var text = SeccompDisassembler.Disassemble(SeccompCompiler.Compile(profile).Program);
        // personality = 135: high half (args[0] + 4) compared with 1, then low half with 2.
        Assert.Contains("jge #0x87,", text);
        Assert.Matches(@"ld \[20\] +; args\[0\] \(high\)", text);
        Assert.Contains("jeq #0x1,", text);
        Assert.Matches(@"ld \[16\] +; args\[0\] \(low\)", text);
        Assert.Contains("jeq #0x2,", text);
    }

    [Fact]
    public void DefaultArchitectureIsNativeOnly()
    {
        var program = Program(SeccompCompiler.Compile(new SeccompProfile { DefaultAction = "SCMP_ACT_ALLOW" }));
        Assert.Equal(Allow, BpfInterpreter.Run(program, 83, X64));
        Assert.Equal(KillProcess, BpfInterpreter.Run(program, 39, I386));
        Assert.Equal(KillProcess, BpfInterpreter.Run(program, 0x40000000 | 83, X64)); // x32 not listed
        Assert.Equal(KillProcess, BpfInterpreter.Run(program, 83, BpfInterpreter.AuditArchAarch64));
    }

    [Fact]
    public void X32SyscallsUseTheX32TableWhenListed()
    {
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
            Syscalls = [new SeccompSyscallRule { Names = ["mkdir", "ioctl"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 13 }],
        };
        var program = Program(SeccompCompiler.Compile(profile));
        const uint eacces = 0x50000 | 13;
        Assert.Equal(eacces, BpfInterpreter.Run(program, 83, X64));              // x86-64 mkdir
        Assert.Equal(eacces, BpfInterpreter.Run(program, 0x40000000 + 83, X64)); // x32 mkdir
        Assert.Equal(eacces, BpfInterpreter.Run(program, 0x40000000 + 514, X64)); // x32 ioctl (x32-specific number)
        Assert.Equal(Allow, BpfInterpreter.Run(program, 0x40000000 + 16, X64));  // 16 is not ioctl on x32
        Assert.Equal(eacces, BpfInterpreter.Run(program, 16, X64));              // x86-64 ioctl
        Assert.Equal(eacces, BpfInterpreter.Run(program, 39, I386));             // i386 mkdir
        Assert.Equal(Allow, BpfInterpreter.Run(program, 83, I386));
        Assert.Equal(KillProcess, BpfInterpreter.Run(program, 83, BpfInterpreter.AuditArchAarch64)); // cannot happen here
    }

    [Fact]
    public void TablesMatchTheKernelNumbers()
    {
        Assert.True(SyscallTables.X86_64.TryGetNumber("mkdir", out var nr) && nr == 83);
        Assert.True(SyscallTables.X86_64.TryGetNumber("clone3", out nr) && nr == 435);
        Assert.True(SyscallTables.X86_64.TryGetNumber("mseal", out nr) && nr == 462);
        Assert.True(SyscallTables.I386.TryGetNumber("mkdir", out nr) && nr == 39);
        Assert.True(SyscallTables.I386.TryGetNumber("socketcall", out nr) && nr == 102);
        Assert.True(SyscallTables.X32.TryGetNumber("execve", out nr) && nr == 0x40000000 + 520);
        Assert.False(SyscallTables.X86_64.TryGetNumber("chown32", out _));
        Assert.Equal("read", SyscallTables.X86_64.NameOf(0));
    }

    [Fact]
    public void UnknownSyscallNamesAreIgnoredWithAWarning()
    {
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ERRNO",
            Syscalls = [Rule("SCMP_ACT_ALLOW", "read", "sys_from_the_future", "chown32")],
        };
        var compiled = SeccompCompiler.Compile(profile);
        var warning = Assert.Single(compiled.Warnings);
        Assert.Contains("sys_from_the_future", warning);
        Assert.Contains("linux.seccomp.syscalls[0]", warning);
    }

    [Theory]
    [InlineData("action", "linux.seccomp.syscalls[0].action")]
    [InlineData("op", "linux.seccomp.syscalls[0].args[0].op")]
    [InlineData("index", "linux.seccomp.syscalls[0].args[0].index")]
    [InlineData("arch", "linux.seccomp.architectures[1]")]
    [InlineData("flag", "linux.seccomp.flags[0]")]
    [InlineData("default", "linux.seccomp.defaultAction")]
    [InlineData("errnoRet", "linux.seccomp.syscalls[0].errnoRet")]
    [InlineData("defaultErrnoRet", "linux.seccomp.defaultErrnoRet")]
    [InlineData("notifyDefault", "linux.seccomp.defaultAction")]
    [InlineData("notifyWrite", "linux.seccomp.syscalls[0].action")]
    public void InvalidFieldsAreErrorsNamingTheField(string what, string field)
    {
        var rule = new SeccompSyscallRule { Names = ["read"], Action = "SCMP_ACT_ALLOW", Args = [Arg(0, "SCMP_CMP_EQ", 1)] };
        var profile = new SeccompProfile { DefaultAction = "SCMP_ACT_ERRNO", Architectures = ["SCMP_ARCH_X86_64"], Syscalls = [rule] };
        switch (what)
        {
            case "action": rule.Action = "SCMP_ACT_EXPLODE"; break;
            case "op": rule.Args![0].Op = "SCMP_CMP_ABOUT"; break;
            case "index": rule.Args![0].Index = 6; break;
            case "arch": profile.Architectures.Add("SCMP_ARCH_Z80"); break;
            case "flag": profile.Flags = ["SECCOMP_FILTER_FLAG_FAST"]; break;
            case "default": profile.DefaultAction = "ALLOW"; break;
            case "errnoRet": rule.ErrnoRet = 5; break;
            case "defaultErrnoRet": profile.DefaultAction = "SCMP_ACT_ALLOW"; profile.DefaultErrnoRet = 1; break;
            case "notifyDefault": profile.DefaultAction = "SCMP_ACT_NOTIFY"; break;
            case "notifyWrite": rule.Names = ["write"]; rule.Action = "SCMP_ACT_NOTIFY"; break;
        }
        var e = Assert.Throws<SeccompProfileException>(() => SeccompCompiler.Compile(profile));
        Assert.Equal(field, e.Field);
        Assert.StartsWith(field + ": ", e.Message);
    }

    [Fact]
    public void FlagsAreTranslatedAndTsyncIsNeverPassed()
    {
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        };
        var compiled = SeccompCompiler.Compile(profile);
        Assert.Equal(SeccompFilterFlags.Log | SeccompFilterFlags.SpecAllow, compiled.Flags);
        Assert.Contains(compiled.Warnings, w => w.Contains("TSYNC"));
    }

    [Fact]
    public void NotifyNeedsANewListener()
    {
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            ListenerPath = "/run/agent.sock",
            Flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
            Syscalls = [Rule("SCMP_ACT_NOTIFY", "mknod", "mknodat")],
        };
        var compiled = SeccompCompiler.Compile(profile);
        Assert.True(compiled.NeedsListener);
        Assert.Equal(SeccompFilterFlags.NewListener | SeccompFilterFlags.WaitKillableRecv, compiled.Flags);
        Assert.Equal(0x7fc00000u, BpfInterpreter.Run(Program(compiled), 133, X64));

        profile.Syscalls = [Rule("SCMP_ACT_ERRNO", "mknod")];
        compiled = SeccompCompiler.Compile(profile);
        Assert.False(compiled.NeedsListener);
        Assert.Equal(0u, compiled.Flags); // WAIT_KILLABLE_RECV alone is EINVAL for the kernel: dropped
        Assert.Contains(compiled.Warnings, w => w.Contains("WAIT_KILLABLE_RECV"));
    }

    [Fact]
    public void ActionsEncodeAsTheKernelExpects()
    {
        var cases = new (string Action, uint? Errno, uint Expected)[]
        {
            ("SCMP_ACT_KILL", null, 0), ("SCMP_ACT_KILL_THREAD", null, 0), ("SCMP_ACT_KILL_PROCESS", null, 0x80000000),
            ("SCMP_ACT_TRAP", null, 0x30000), ("SCMP_ACT_ERRNO", null, 0x50001), ("SCMP_ACT_ERRNO", 95, 0x5005f),
            ("SCMP_ACT_TRACE", null, 0x7ff00001), ("SCMP_ACT_TRACE", 7, 0x7ff00007), ("SCMP_ACT_LOG", null, 0x7ffc0000),
            ("SCMP_ACT_ALLOW", null, 0x7fff0000),
        };
        foreach (var (action, errno, expected) in cases)
        {
            var profile = new SeccompProfile
            {
                DefaultAction = action == "SCMP_ACT_ALLOW" ? "SCMP_ACT_LOG" : "SCMP_ACT_ALLOW",
                Syscalls = [new SeccompSyscallRule { Names = ["getpid"], Action = action, ErrnoRet = errno }],
            };
            Assert.Equal(expected, BpfInterpreter.Run(Program(SeccompCompiler.Compile(profile)), 39, X64));
        }
    }

    [Fact]
    public void RulesWithArgsComeBeforeTheRuleWithout()
    {
        // socket: allowed unconditionally, but the later AF_VSOCK rule with args still wins for AF_VSOCK.
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ERRNO",
            Syscalls =
            [
                Rule("SCMP_ACT_ALLOW", "socket"),
                new SeccompSyscallRule { Names = ["socket"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 97, Args = [Arg(0, "SCMP_CMP_EQ", 40)] },
                new SeccompSyscallRule { Names = ["socket"], Action = "SCMP_ACT_KILL_PROCESS", Args = [Arg(0, "SCMP_CMP_GE", 40)] },
                Rule("SCMP_ACT_TRAP", "socket"), // a second argless rule: ignored, the first decides
            ],
        };
        var compiled = SeccompCompiler.Compile(profile);
        var program = Program(compiled);
        Assert.Equal(0x50000u | 97, BpfInterpreter.Run(program, 41, X64, [40]));   // first matching rule with args
        Assert.Equal(KillProcess, BpfInterpreter.Run(program, 41, X64, [41]));
        Assert.Equal(Allow, BpfInterpreter.Run(program, 41, X64, [2]));             // no rule with args holds
        Assert.Contains(compiled.Warnings, w => w.Contains("syscalls[3]"));
    }

    [Fact]
    public void SeveralConditionsOnOneArgumentAreAlternatives()
    {
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ERRNO",
            Syscalls = [new SeccompSyscallRule
            {
                Names = ["personality"], Action = "SCMP_ACT_ALLOW",
                Args = [Arg(0, "SCMP_CMP_EQ", 0), Arg(0, "SCMP_CMP_EQ", 8)],
            }],
        };
        var program = Program(SeccompCompiler.Compile(profile));
        Assert.Equal(Allow, BpfInterpreter.Run(program, 135, X64, [0]));
        Assert.Equal(Allow, BpfInterpreter.Run(program, 135, X64, [8]));
        Assert.Equal(0x50001u, BpfInterpreter.Run(program, 135, X64, [9]));
    }

    [Fact]
    public void SyscallsNewerThanTheProfileGetEnosys()
    {
        var profile = new SeccompProfile { DefaultAction = "SCMP_ACT_ERRNO", Syscalls = [Rule("SCMP_ACT_ALLOW", "read", "openat2")] };
        var program = Program(SeccompCompiler.Compile(profile));
        Assert.Equal(0x50001u, BpfInterpreter.Run(program, 83, X64));      // known and not allowed: EPERM
        Assert.Equal(0x50000u | 38, BpfInterpreter.Run(program, 440, X64)); // newer than openat2 (437): ENOSYS
        Assert.Equal(Allow, BpfInterpreter.Run(program, 437, X64));

        profile.DefaultAction = "SCMP_ACT_LOG"; // lets syscalls run: no ENOSYS
        Assert.Equal(0x7ffc0000u, BpfInterpreter.Run(Program(SeccompCompiler.Compile(profile)), 440, X64));
    }

    [Fact]
    public void ThirtyTwoBitProcessesCompareOnlyTheLowHalf()
    {
        var profile = new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Architectures = ["SCMP_ARCH_X86"],
            Syscalls = [new SeccompSyscallRule { Names = ["personality"], Action = "SCMP_ACT_ERRNO", Args = [Arg(0, "SCMP_CMP_EQ", 0x1_0000_0005)] }],
        };
        var program = Program(SeccompCompiler.Compile(profile));
        Assert.Equal(0x50001u, BpfInterpreter.Run(program, 136, I386, [5]));  // personality is 136 on i386
        Assert.Equal(Allow, BpfInterpreter.Run(program, 135, X64, [5]));      // 64-bit: the high half differs
        Assert.Equal(0x50001u, BpfInterpreter.Run(program, 135, X64, [0x1_0000_0005]));
    }
}

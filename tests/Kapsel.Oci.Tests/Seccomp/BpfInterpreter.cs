using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Tests.Seccomp;

/// <summary>
/// A classic BPF interpreter for seccomp programs, with the kernel's load-time checks
/// (seccomp_check_filter / bpf_check_classic): every jump in range and forward, last instruction a
/// return, loads 4-byte aligned inside seccomp_data, at most 4096 instructions.
/// </summary>
internal static class BpfInterpreter
{
    public const uint AuditArchX86_64 = 0xc000003e, AuditArchI386 = 0x40000003, AuditArchAarch64 = 0xc00000b7;

    public static void Validate(BpfInstruction[] program)
    {
        Assert.InRange(program.Length, 1, Bpf.MaxInstructions);
        for (var pc = 0; pc < program.Length; pc++)
        {
            var insn = program[pc];
            switch (insn.Code & 0x07)
            {
                case Bpf.LD when (insn.Code & 0xe0) == Bpf.ABS:
                    Assert.True((insn.Code & 0x18) == Bpf.W, $"l{pc}: seccomp only allows 32-bit loads");
                    Assert.True(insn.K % 4 == 0 && insn.K < Bpf.SeccompDataSize, $"l{pc}: load offset {insn.K} outside seccomp_data");
                    break;
                case Bpf.JMP when (insn.Code & 0xf0) == Bpf.JA:
                    Assert.True((long)pc + 1 + insn.K < program.Length, $"l{pc}: ja out of range");
                    break;
                case Bpf.JMP:
                    Assert.True(pc + 1 + insn.Jt < program.Length && pc + 1 + insn.Jf < program.Length, $"l{pc}: jump out of range");
                    break;
            }
        }
        Assert.Equal(Bpf.RET, program[^1].Code & 0x07);
    }

    public static uint Run(BpfInstruction[] program, uint nr, uint arch, ReadOnlySpan<ulong> args = default, ulong ip = 0) =>
        Run(program, nr, arch, args, out _, ip);

    /// <summary>Runs the program; <paramref name="executed"/> is how many instructions the decision took.</summary>
    public static uint Run(BpfInstruction[] program, uint nr, uint arch, ReadOnlySpan<ulong> args, out int executed, ulong ip = 0)
    {
        Span<byte> data = stackalloc byte[(int)Bpf.SeccompDataSize];
        BitConverter.TryWriteBytes(data, nr);
        BitConverter.TryWriteBytes(data[4..], arch);
        BitConverter.TryWriteBytes(data[8..], ip);
        for (var i = 0; i < args.Length; i++) BitConverter.TryWriteBytes(data[(16 + 8 * i)..], args[i]);

        uint a = 0, x = 0;
        Span<uint> mem = stackalloc uint[16];
        var pc = 0;
        for (executed = 1; executed <= program.Length; executed++)
        {
            var insn = program[pc++];
            var k = insn.K;
            var src = (insn.Code & Bpf.X) != 0 ? x : k;
            switch (insn.Code & 0x07)
            {
                case Bpf.LD:
                    a = (insn.Code & 0xe0) switch
                    {
                        Bpf.ABS => BitConverter.ToUInt32(data[(int)k..]),
                        Bpf.IMM => k,
                        Bpf.MEM => mem[(int)k],
                        Bpf.LEN => Bpf.SeccompDataSize,
                        _ => throw new InvalidOperationException($"l{pc - 1}: unsupported load 0x{insn.Code:x}"),
                    };
                    break;
                case Bpf.LDX:
                    x = (insn.Code & 0xe0) switch
                    {
                        Bpf.IMM => k,
                        Bpf.MEM => mem[(int)k],
                        Bpf.LEN => Bpf.SeccompDataSize,
                        _ => throw new InvalidOperationException($"l{pc - 1}: unsupported ldx 0x{insn.Code:x}"),
                    };
                    break;
                case Bpf.ST: mem[(int)k] = a; break;
                case Bpf.STX: mem[(int)k] = x; break;
                case Bpf.ALU:
                    a = (insn.Code & 0xf0) switch
                    {
                        Bpf.ADD => a + src, Bpf.SUB => a - src, Bpf.MUL => a * src, Bpf.DIV => a / src,
                        Bpf.MOD => a % src, Bpf.OR => a | src, Bpf.AND => a & src, Bpf.XOR => a ^ src,
                        Bpf.LSH => a << (int)src, Bpf.RSH => a >> (int)src, Bpf.NEG => (uint)-(int)a,
                        _ => throw new InvalidOperationException($"l{pc - 1}: bad alu 0x{insn.Code:x}"),
                    };
                    break;
                case Bpf.JMP:
                    if ((insn.Code & 0xf0) == Bpf.JA) { pc += (int)k; break; }
                    var taken = (insn.Code & 0xf0) switch
                    {
                        Bpf.JEQ => a == src, Bpf.JGT => a > src, Bpf.JGE => a >= src, Bpf.JSET => (a & src) != 0,
                        _ => throw new InvalidOperationException($"l{pc - 1}: bad jump 0x{insn.Code:x}"),
                    };
                    pc += taken ? insn.Jt : insn.Jf;
                    break;
                case Bpf.RET:
                    return (insn.Code & 0x18) == Bpf.A ? a : k;
                case Bpf.MISC:
                    if ((insn.Code & 0xf8) == Bpf.TXA) a = x; else x = a;
                    break;
            }
        }
        throw new InvalidOperationException("program ran past its length (a backward jump?)");
    }
}

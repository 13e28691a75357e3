using System.Text;

namespace Kapsel.Oci.Seccomp;

/// <summary>
/// Renders a classic BPF seccomp program in the style of the kernel's bpf_dbg / bpf_asm
/// (<c>l3:	jeq #0xc000003e, l4, l9</c>), with comments naming seccomp_data fields and actions.
/// </summary>
public static class SeccompDisassembler
{
    public static string Disassemble(ReadOnlySpan<byte> program)
    {
        var instructions = BpfInstruction.Decode(program);
        var text = new StringBuilder();
        for (var pc = 0; pc < instructions.Length; pc++)
        {
            var (body, comment) = Describe(instructions[pc], pc);
            var line = $"l{pc}:\t{body}";
            text.Append(comment is null ? line : $"{line,-40}; {comment}").Append('\n');
        }
        return text.ToString();
    }

    /// <summary>One instruction as text, plus an optional comment.</summary>
    public static (string Text, string? Comment) Describe(BpfInstruction insn, int pc)
    {
        var k = insn.K;
        var source = (insn.Code & Bpf.X) != 0 ? "x" : $"#0x{k:x}";
        switch (insn.Code & 0x07)
        {
            case Bpf.LD:
                var size = (insn.Code & 0x18) switch { Bpf.H => "ldh", Bpf.B => "ldb", _ => "ld" };
                return (insn.Code & 0xe0) switch
                {
                    Bpf.ABS => ($"{size} [{k}]", FieldName(k)),
                    Bpf.IND => ($"{size} [x + {k}]", null),
                    Bpf.MEM => ($"ld M[{k}]", null),
                    Bpf.LEN => ("ld #len", null),
                    _ => ($"ld #0x{k:x}", null),
                };
            case Bpf.LDX:
                return (insn.Code & 0xe0) switch
                {
                    Bpf.MEM => ($"ldx M[{k}]", null),
                    Bpf.LEN => ("ldx #len", null),
                    Bpf.MSH => ($"ldxb 4*([{k}]&0xf)", null),
                    _ => ($"ldx #0x{k:x}", null),
                };
            case Bpf.ST: return ($"st M[{k}]", null);
            case Bpf.STX: return ($"stx M[{k}]", null);
            case Bpf.ALU:
                var op = (insn.Code & 0xf0) switch
                {
                    Bpf.ADD => "add", Bpf.SUB => "sub", Bpf.MUL => "mul", Bpf.DIV => "div", Bpf.OR => "or",
                    Bpf.AND => "and", Bpf.LSH => "lsh", Bpf.RSH => "rsh", Bpf.NEG => "neg", Bpf.MOD => "mod",
                    Bpf.XOR => "xor", _ => $"alu?0x{insn.Code:x}",
                };
                return (op == "neg" ? "neg" : $"{op} {source}", null);
            case Bpf.JMP:
                if ((insn.Code & 0xf0) == Bpf.JA) return ($"ja l{pc + 1 + k}", null);
                var jump = (insn.Code & 0xf0) switch
                {
                    Bpf.JEQ => "jeq", Bpf.JGT => "jgt", Bpf.JGE => "jge", Bpf.JSET => "jset", _ => $"j?0x{insn.Code:x}",
                };
                return ($"{jump} {source}, l{pc + 1 + insn.Jt}, l{pc + 1 + insn.Jf}", null);
            case Bpf.RET:
                return (insn.Code & 0x18) == Bpf.A ? ("ret a", null) : ($"ret #0x{k:x}", SeccompAction.Describe(k));
            default:
                return ((insn.Code & 0xf8) == Bpf.TXA ? "txa" : "tax", null);
        }
    }

    private static string? FieldName(uint offset) => offset switch
    {
        Bpf.OffsetNr => "nr",
        Bpf.OffsetArch => "arch",
        Bpf.OffsetIp => "ip (low)",
        Bpf.OffsetIp + 4 => "ip (high)",
        >= Bpf.OffsetArgs and < Bpf.SeccompDataSize =>
            $"args[{(offset - Bpf.OffsetArgs) / 8}] ({((offset - Bpf.OffsetArgs) % 8 == 0 ? "low" : "high")})",
        _ => null,
    };
}

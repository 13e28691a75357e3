using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Tests.Seccomp;

public sealed class SeccompDisassemblerTests
{
    [Fact]
    public void RendersEveryInstructionClass()
    {
        BpfInstruction[] program =
        [
            new(Bpf.LD | Bpf.W | Bpf.ABS, 0, 0, 24),
            new(Bpf.ALU | Bpf.AND | Bpf.K, 0, 0, 0xff),
            new(Bpf.MISC | Bpf.TAX, 0, 0, 0),
            new(Bpf.LD | Bpf.IMM, 0, 0, 1),
            new(Bpf.ALU | Bpf.LSH | Bpf.X, 0, 0, 0),
            new(Bpf.ST, 0, 0, 3),
            new(Bpf.JMP | Bpf.JSET | Bpf.K, 1, 0, 0x10),
            new(Bpf.JMP | Bpf.JA, 0, 0, 1),
            new(Bpf.RET | Bpf.K, 0, 0, 0x00050000 | 13),
            new(Bpf.RET | Bpf.A, 0, 0, 0),
        ];
        var text = SeccompDisassembler.Disassemble(BpfInstruction.Encode(program)).Split('\n');
        Assert.Matches(@"^l0:\tld \[24\] +; args\[1\] \(low\)$", text[0]);
        Assert.Equal("l1:\tand #0xff", text[1]);
        Assert.Equal("l2:\ttax", text[2]);
        Assert.Equal("l3:\tld #0x1", text[3]);
        Assert.Equal("l4:\tlsh x", text[4]);
        Assert.Equal("l5:\tst M[3]", text[5]);
        Assert.Equal("l6:\tjset #0x10, l8, l7", text[6]);
        Assert.Equal("l7:\tja l9", text[7]);
        Assert.Matches(@"^l8:\tret #0x5000d +; ERRNO\(13\)$", text[8]);
        Assert.Equal("l9:\tret a", text[9]);
    }

    [Fact]
    public void EncodingRoundTrips()
    {
        var compiled = SeccompCompiler.Compile(DefaultSeccompProfile.Create([]));
        Assert.Equal(compiled.Program, BpfInstruction.Encode(BpfInstruction.Decode(compiled.Program)));
        Assert.Equal(compiled.InstructionCount, SeccompDisassembler.Disassemble(compiled.Program).Count(c => c == '\n'));
    }
}

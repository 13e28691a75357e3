namespace Kapsel.Oci.Seccomp;

/// <summary>Classic BPF opcodes (linux/bpf_common.h) and the seccomp_data layout (linux/seccomp.h).</summary>
public static class Bpf
{
    // Instruction classes and fields.
    public const ushort LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
    public const ushort W = 0x00, H = 0x08, B = 0x10;
    public const ushort IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
    public const ushort ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60,
        RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
    public const ushort JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
    public const ushort K = 0x00, X = 0x08, A = 0x10;
    public const ushort TAX = 0x00, TXA = 0x80;

    /// <summary>The kernel's limit on a filter's length (BPF_MAXINSNS).</summary>
    public const int MaxInstructions = 4096;

    /// <summary>Byte offsets in struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }.</summary>
    public const uint OffsetNr = 0, OffsetArch = 4, OffsetIp = 8, OffsetArgs = 16, SeccompDataSize = 64;

    /// <summary>Offset of the low (lo=true) or high 32-bit half of args[index] on a little-endian machine.</summary>
    public static uint ArgOffset(int index, bool low) => OffsetArgs + (uint)index * 8 + (low ? 0u : 4u);
}

/// <summary>One struct sock_filter: u16 code, u8 jt, u8 jf, u32 k (8 bytes, host byte order).</summary>
public readonly record struct BpfInstruction(ushort Code, byte Jt, byte Jf, uint K)
{
    public const int Size = 8;

    public void WriteTo(Span<byte> destination)
    {
        BitConverter.TryWriteBytes(destination, Code);
        destination[2] = Jt;
        destination[3] = Jf;
        BitConverter.TryWriteBytes(destination[4..], K);
    }

    public static BpfInstruction ReadFrom(ReadOnlySpan<byte> source) =>
        new(BitConverter.ToUInt16(source), source[2], source[3], BitConverter.ToUInt32(source[4..]));

    public static BpfInstruction[] Decode(ReadOnlySpan<byte> program)
    {
        if (program.Length % Size != 0) throw new ArgumentException("a BPF program is a whole number of 8-byte instructions");
        var result = new BpfInstruction[program.Length / Size];
        for (var i = 0; i < result.Length; i++) result[i] = ReadFrom(program[(i * Size)..]);
        return result;
    }

    public static byte[] Encode(IReadOnlyList<BpfInstruction> instructions)
    {
        var bytes = new byte[instructions.Count * Size];
        for (var i = 0; i < instructions.Count; i++) instructions[i].WriteTo(bytes.AsSpan(i * Size));
        return bytes;
    }
}

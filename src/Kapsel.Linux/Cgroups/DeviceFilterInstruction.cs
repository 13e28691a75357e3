using System.Runtime.InteropServices;

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// One eBPF instruction (struct bpf_insn: opcode, dst:4|src:4 registers, 16-bit offset, 32-bit
/// immediate), and constructors for the few opcodes the device filter needs.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
public readonly struct DeviceFilterInstruction
{
    public readonly byte Code;
    public readonly byte Registers;
    public readonly short Offset;
    public readonly int Immediate;

    private DeviceFilterInstruction(byte code, int dst, int src, short offset, int immediate)
    {
        Code = code;
        Registers = (byte)((src << 4) | (dst & 0xf));
        Offset = offset;
        Immediate = immediate;
    }

    // Opcode parts (include/uapi/linux/bpf_common.h, bpf.h).
    private const byte ClassLdx = 0x01, ClassAlu = 0x04, ClassJmp = 0x05, ClassAlu64 = 0x07;
    private const byte SizeW = 0x00, ModeMem = 0x60;
    private const byte OpAnd = 0x50, OpRsh = 0x70, OpMov = 0xb0, SourceImmediate = 0x00, SourceRegister = 0x08;
    private const byte JumpEq = 0x10, JumpNe = 0x50, Exit = 0x90;

    /// <summary>dst = *(u32 *)(src + offset)</summary>
    public static DeviceFilterInstruction LoadWord(int dst, int src, short offset) => new(ClassLdx | SizeW | ModeMem, dst, src, offset, 0);

    /// <summary>dst = imm (64-bit move)</summary>
    public static DeviceFilterInstruction MoveImmediate(int dst, int imm) => new(ClassAlu64 | OpMov | SourceImmediate, dst, 0, 0, imm);

    /// <summary>dst = src (32-bit move, zero-extends)</summary>
    public static DeviceFilterInstruction MoveRegister32(int dst, int src) => new(ClassAlu | OpMov | SourceRegister, dst, src, 0, 0);

    /// <summary>dst &amp;= imm (32-bit)</summary>
    public static DeviceFilterInstruction AndImmediate32(int dst, int imm) => new(ClassAlu | OpAnd | SourceImmediate, dst, 0, 0, imm);

    /// <summary>dst &gt;&gt;= imm (32-bit logical)</summary>
    public static DeviceFilterInstruction ShiftRightImmediate32(int dst, int imm) => new(ClassAlu | OpRsh | SourceImmediate, dst, 0, 0, imm);

    /// <summary>if dst != imm: skip <paramref name="skip"/> instructions</summary>
    public static DeviceFilterInstruction JumpIfNotEqual(int dst, int imm, short skip) => new(ClassJmp | JumpNe | SourceImmediate, dst, 0, skip, imm);

    /// <summary>if dst == imm: skip <paramref name="skip"/> instructions</summary>
    public static DeviceFilterInstruction JumpIfEqual(int dst, int imm, short skip) => new(ClassJmp | JumpEq | SourceImmediate, dst, 0, skip, imm);

    public bool IsConditionalJump => Code is (ClassJmp | JumpNe | SourceImmediate) or (ClassJmp | JumpEq | SourceImmediate);

    public static DeviceFilterInstruction Return() => new(ClassJmp | Exit, 0, 0, 0, 0);

    /// <summary>The same instruction with another jump offset (for patching forward jumps).</summary>
    public DeviceFilterInstruction WithOffset(short offset) => new(Code, Registers & 0xf, Registers >> 4, offset, Immediate);

    public override string ToString() => $"code=0x{Code:x2} dst=r{Registers & 0xf} src=r{Registers >> 4} off={Offset} imm={Immediate}";
}

namespace Kapsel.Oci.Seccomp;

/// <summary>
/// Builds a classic BPF program with symbolic forward labels. Conditional jumps only reach 255
/// instructions ahead, so <see cref="Assemble"/> lays the program out and rewrites every conditional
/// jump whose target is too far into <c>jcond 0,1; ja T; ja F</c> (JA has a 32-bit offset), repeating
/// until nothing is out of range.
/// </summary>
internal sealed class BpfAssembler
{
    /// <summary>A position in the program; bound once with <see cref="Mark"/>, always ahead of its users.</summary>
    public sealed class Label
    {
        internal int Item = -1;
    }

    private sealed class Item
    {
        public ushort Code;
        public uint K;
        public Label? True, False;   // null: the next instruction
        public Label? Bind;          // a label marker, not an instruction
        public bool Long;            // laid out as a jcond + JA trampolines
    }

    private readonly List<Item> _items = [];

    public Label NewLabel() => new();

    public void Mark(Label label)
    {
        if (label.Item >= 0) throw new InvalidOperationException("label bound twice");
        label.Item = _items.Count;
        _items.Add(new Item { Bind = label });
    }

    public void LoadWord(uint offset) => Emit(Bpf.LD | Bpf.W | Bpf.ABS, offset);

    public void And(uint mask) => Emit(Bpf.ALU | Bpf.AND | Bpf.K, mask);

    public void Return(uint value) => Emit(Bpf.RET | Bpf.K, value);

    public void Jump(Label target) => _items.Add(new Item { Code = Bpf.JMP | Bpf.JA, True = target });

    /// <summary>A conditional jump comparing A with k (JEQ, JGT, JGE, JSET); null targets fall through.</summary>
    public void JumpIf(ushort op, uint k, Label? whenTrue, Label? whenFalse) =>
        _items.Add(new Item { Code = (ushort)(Bpf.JMP | op | Bpf.K), K = k, True = whenTrue, False = whenFalse });

    private void Emit(ushort code, uint k) => _items.Add(new Item { Code = code, K = k });

    public BpfInstruction[] Assemble()
    {
        int[] position;
        while (true)
        {
            position = Layout();
            var changed = false;
            for (var i = 0; i < _items.Count; i++)
            {
                var item = _items[i];
                if (item.Bind is not null || item.Long || !IsConditional(item)) continue;
                if (Distance(position, i, item.True) > 255 || Distance(position, i, item.False) > 255)
                {
                    item.Long = true;
                    changed = true;
                }
            }
            if (!changed) break;
        }

        var program = new List<BpfInstruction>();
        for (var i = 0; i < _items.Count; i++)
        {
            var item = _items[i];
            if (item.Bind is not null) continue;
            if (!IsConditional(item))
            {
                var k = item.Code == (Bpf.JMP | Bpf.JA) ? (uint)Distance(position, i, item.True) : item.K;
                program.Add(new BpfInstruction(item.Code, 0, 0, k));
            }
            else if (!item.Long)
            {
                program.Add(new BpfInstruction(item.Code, (byte)Distance(position, i, item.True),
                    (byte)Distance(position, i, item.False), item.K));
            }
            else
            {
                // jcond → "ja True" right after; not taken → skip it to "ja False".
                var at = position[i];
                program.Add(new BpfInstruction(item.Code, 0, 1, item.K));
                program.Add(new BpfInstruction(Bpf.JMP | Bpf.JA, 0, 0, (uint)(Target(position, i, item.True) - (at + 2))));
                program.Add(new BpfInstruction(Bpf.JMP | Bpf.JA, 0, 0, (uint)(Target(position, i, item.False) - (at + 3))));
            }
        }
        if (program.Count > Bpf.MaxInstructions)
            throw new SeccompProfileException("linux.seccomp",
                $"the compiled filter has {program.Count} instructions, more than the kernel's limit of {Bpf.MaxInstructions}");
        return program.ToArray();
    }

    private static bool IsConditional(Item item) =>
        (item.Code & 0x07) == Bpf.JMP && (item.Code & 0xf0) != Bpf.JA;

    /// <summary>Program position of every item (a label marker has its next instruction's position).</summary>
    private int[] Layout()
    {
        var position = new int[_items.Count + 1];
        var pc = 0;
        for (var i = 0; i < _items.Count; i++)
        {
            position[i] = pc;
            var item = _items[i];
            pc += item.Bind is not null ? 0 : item.Long ? 3 : 1;
        }
        position[_items.Count] = pc;
        return position;
    }

    private int Target(int[] position, int from, Label? label)
    {
        if (label is null) return position[from + 1];
        if (label.Item < 0) throw new InvalidOperationException("jump to an unbound label");
        if (label.Item <= from) throw new InvalidOperationException("BPF jumps must go forward");
        return position[label.Item];
    }

    /// <summary>The jt/jf/ja offset from item <paramref name="from"/> to the label (0 = next instruction).</summary>
    private int Distance(int[] position, int from, Label? label) => Target(position, from, label) - (position[from] + 1);
}

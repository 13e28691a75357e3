namespace Kapsel.Oci.Seccomp;

/// <summary>
/// Emits one argument comparison. Classic BPF compares 32-bit words, so a 64-bit argument is checked
/// as its high half, then its low half (seccomp_data is little-endian here). The code falls through when
/// the condition holds and jumps to <c>fail</c> when it does not; it clobbers A.
/// </summary>
internal static class SeccompConditionEmitter
{
    public static void Emit(BpfAssembler asm, SeccompCondition c, bool args32, BpfAssembler.Label fail)
    {
        var pass = asm.NewLabel();
        uint valueHigh = (uint)(c.Value >> 32), valueLow = (uint)c.Value;
        switch (c.Op)
        {
            case SeccompOperator.Equal:
                High(asm, c, args32, () => asm.JumpIf(Bpf.JEQ, valueHigh, null, fail));
                Low(asm, c, () => asm.JumpIf(Bpf.JEQ, valueLow, null, fail));
                break;
            case SeccompOperator.NotEqual:
                High(asm, c, args32, () => asm.JumpIf(Bpf.JEQ, valueHigh, null, pass));
                Low(asm, c, () => asm.JumpIf(Bpf.JEQ, valueLow, fail, null));
                break;
            case SeccompOperator.GreaterThan or SeccompOperator.GreaterOrEqual:
                // high > v.high → pass; high < v.high → fail; equal → decided by the low half.
                High(asm, c, args32, () =>
                {
                    asm.JumpIf(Bpf.JGT, valueHigh, pass, null);
                    asm.JumpIf(Bpf.JEQ, valueHigh, null, fail);
                });
                Low(asm, c, () => asm.JumpIf(c.Op == SeccompOperator.GreaterThan ? Bpf.JGT : Bpf.JGE, valueLow, null, fail));
                break;
            case SeccompOperator.LessThan or SeccompOperator.LessOrEqual:
                // The negations of ≥ and >.
                High(asm, c, args32, () =>
                {
                    asm.JumpIf(Bpf.JGT, valueHigh, fail, null);
                    asm.JumpIf(Bpf.JEQ, valueHigh, null, pass);
                });
                Low(asm, c, () => asm.JumpIf(c.Op == SeccompOperator.LessThan ? Bpf.JGE : Bpf.JGT, valueLow, fail, null));
                break;
            case SeccompOperator.MaskedEqual:
                uint maskHigh = valueHigh, maskLow = valueLow;
                uint wantHigh = (uint)(c.ValueTwo >> 32), wantLow = (uint)c.ValueTwo;
                // (high & 0) == 0 always holds: skip the load (the usual case, e.g. clone flags).
                if (maskHigh != 0 || wantHigh != 0)
                    High(asm, c, args32, () =>
                    {
                        if (maskHigh != uint.MaxValue) asm.And(maskHigh);
                        asm.JumpIf(Bpf.JEQ, wantHigh, null, fail);
                    });
                Low(asm, c, () =>
                {
                    if (maskLow != uint.MaxValue) asm.And(maskLow);
                    asm.JumpIf(Bpf.JEQ, wantLow, null, fail);
                });
                break;
        }
        asm.Mark(pass);
    }

    /// <summary>The high-half check; i386 has 32-bit arguments, so there it is skipped (as libseccomp does).</summary>
    private static void High(BpfAssembler asm, SeccompCondition c, bool args32, Action check)
    {
        if (args32) return;
        asm.LoadWord(Bpf.ArgOffset(c.Index, low: false));
        check();
    }

    private static void Low(BpfAssembler asm, SeccompCondition c, Action check)
    {
        asm.LoadWord(Bpf.ArgOffset(c.Index, low: true));
        check();
    }
}

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// Builds the BPF_PROG_TYPE_CGROUP_DEVICE program that enforces <see cref="DeviceRule"/>s on
/// cgroup v2 (which has no devices.allow/deny files). The kernel passes
/// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } where access_type is
/// (access &lt;&lt; 16) | type. The program checks rules from the last to the first and returns
/// the first match, so the last matching rule wins; nothing matching means allow.
/// </summary>
public static class DeviceFilter
{
    // Values from include/uapi/linux/bpf.h.
    public const int DeviceTypeBlock = 1, DeviceTypeChar = 2;
    public const int AccessMknod = 1, AccessRead = 2, AccessWrite = 4;

    // Registers: r1 = ctx, r2 = type, r3 = access, r4 = major, r5 = minor, r6 = scratch.
    private const int Ctx = 1, Type = 2, Access = 3, Major = 4, Minor = 5, Scratch = 6, Result = 0;

    public static DeviceFilterInstruction[] Generate(IReadOnlyList<DeviceRule> rules)
    {
        var program = new List<DeviceFilterInstruction>
        {
            DeviceFilterInstruction.LoadWord(Type, Ctx, 0),
            DeviceFilterInstruction.MoveRegister32(Access, Type),
            DeviceFilterInstruction.AndImmediate32(Type, 0xffff),
            DeviceFilterInstruction.ShiftRightImmediate32(Access, 16),
            DeviceFilterInstruction.LoadWord(Major, Ctx, 4),
            DeviceFilterInstruction.LoadWord(Minor, Ctx, 8),
        };
        for (var i = rules.Count - 1; i >= 0; i--)
        {
            var rule = rules[i];
            rule.Validate();
            EmitRule(program, rule);
            if (rule.MatchesAnyDevice && rule.Access.Distinct().Count() == 3) return [.. program]; // earlier rules are unreachable
        }
        program.Add(DeviceFilterInstruction.MoveImmediate(Result, 1));
        program.Add(DeviceFilterInstruction.Return());
        return [.. program];
    }

    /// <summary>The access bits of "rwm".</summary>
    public static int AccessBits(string access) =>
        (access.Contains('m') ? AccessMknod : 0) | (access.Contains('r') ? AccessRead : 0) | (access.Contains('w') ? AccessWrite : 0);

    /// <summary>
    /// One rule: a chain of "skip to the next rule unless it matches" jumps, then return the verdict.
    /// An allow rule matches when every requested access bit is allowed; a deny rule when any requested
    /// bit is denied (so denying "w" also refuses an open for read+write).
    /// </summary>
    private static void EmitRule(List<DeviceFilterInstruction> program, DeviceRule rule)
    {
        var start = program.Count;
        if (rule.Type != 'a')
            program.Add(DeviceFilterInstruction.JumpIfNotEqual(Type, rule.Type == 'b' ? DeviceTypeBlock : DeviceTypeChar, 0));
        var bits = AccessBits(rule.Access);
        if (bits != (AccessMknod | AccessRead | AccessWrite))
        {
            program.Add(DeviceFilterInstruction.MoveRegister32(Scratch, Access));
            if (rule.Allow)
            {
                program.Add(DeviceFilterInstruction.AndImmediate32(Scratch, ~bits & 0x7));
                program.Add(DeviceFilterInstruction.JumpIfNotEqual(Scratch, 0, 0));
            }
            else
            {
                program.Add(DeviceFilterInstruction.AndImmediate32(Scratch, bits));
                program.Add(DeviceFilterInstruction.JumpIfEqual(Scratch, 0, 0));
            }
        }
        if (rule.Major is { } major and >= 0) program.Add(DeviceFilterInstruction.JumpIfNotEqual(Major, checked((int)major), 0));
        if (rule.Minor is { } minor and >= 0) program.Add(DeviceFilterInstruction.JumpIfNotEqual(Minor, checked((int)minor), 0));
        program.Add(DeviceFilterInstruction.MoveImmediate(Result, rule.Allow ? 1 : 0));
        program.Add(DeviceFilterInstruction.Return());

        // Point every jump of this rule just past its Return.
        var next = program.Count;
        for (var i = start; i < next - 2; i++)
            if (program[i].IsConditionalJump)
                program[i] = program[i].WithOffset(checked((short)(next - i - 1)));
    }
}

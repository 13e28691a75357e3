namespace Kapsel.Oci.Seccomp;

/// <summary>
/// Compiles the runtime spec's linux.seccomp object into a classic BPF seccomp filter, without libseccomp.
/// <para>Semantics (where the spec is silent, as runc/libseccomp behave unless noted):</para>
/// <list type="bullet">
/// <item>Architectures: the native one (x86-64) is always filtered, plus those listed. A call from an
/// architecture the filter does not cover is killed (KILL_PROCESS; libseccomp's "bad arch" action is a
/// kill too). x32 calls (nr with bit 0x40000000) on x86-64 are checked against the x32 table when
/// SCMP_ARCH_X32 is listed, else killed. Non-x86 tokens are valid but cannot occur on this kernel.</item>
/// <item>Per syscall: rules with args are tried first, in profile order, and the first whose conditions
/// all hold decides; otherwise the first rule without args for that syscall decides (later argless
/// rules with another action are ignored with a warning); otherwise the default action.</item>
/// <item>Conditions on different args in one rule are ANDed. When one rule has several conditions on the
/// same arg, each becomes a rule of its own (ORed), as runc does.</item>
/// <item>Comparisons are unsigned 64-bit on x86-64 and x32, 32-bit on i386 (its registers are 32-bit).</item>
/// <item>Unknown syscall names are ignored with a warning (the profile may be newer than this build).</item>
/// <item>Unless the default action lets syscalls run (ALLOW, LOG, TRACE), syscall numbers above the highest
/// one the profile names get ENOSYS, so programs fall back from syscalls newer than the profile
/// (runc's "-ENOSYS stub").</item>
/// </list>
/// Layout: arch dispatch, then per ABI a balanced binary search over ranges of syscall numbers that share
/// a decision, with argument checks inlined at the leaves.
/// </summary>
public static class SeccompCompiler
{
    private const string Field = "linux.seccomp";

    public static CompiledSeccomp Compile(SeccompProfile profile)
    {
        var warnings = new List<string>();
        var defaultAction = SeccompAction.Parse(profile.DefaultAction, profile.DefaultErrnoRet,
            $"{Field}.defaultAction", $"{Field}.defaultErrnoRet");
        if (defaultAction.IsNotify)
            throw new SeccompProfileException($"{Field}.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");

        var architectures = ParseArchitectures(profile.Architectures);
        var flags = ParseFlags(profile.Flags, warnings);
        var rules = ParseRules(profile.Syscalls, warnings);

        var needsListener = rules.Any(r => r.Rule.Action.IsNotify);
        if (needsListener) flags |= SeccompFilterFlags.NewListener;
        else if ((flags & SeccompFilterFlags.WaitKillableRecv) != 0)
        {
            flags &= ~SeccompFilterFlags.WaitKillableRecv;
            warnings.Add("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no rule uses SCMP_ACT_NOTIFY");
        }

        var asm = new BpfAssembler();
        EmitProgram(asm, architectures, rules, defaultAction, warnings);
        return new CompiledSeccomp
        {
            Program = BpfInstruction.Encode(asm.Assemble()),
            Flags = flags,
            NeedsListener = needsListener,
            Warnings = warnings,
        };
    }

    // ---- validation ------------------------------------------------------------------------

    private static HashSet<SeccompArchitecture> ParseArchitectures(List<string>? tokens)
    {
        var set = new HashSet<SeccompArchitecture> { SeccompArchitecture.Native };
        for (var i = 0; i < (tokens?.Count ?? 0); i++)
            set.Add(SeccompArchitecture.Parse(tokens![i], $"{Field}.architectures[{i}]"));
        return set;
    }

    private static uint ParseFlags(List<string>? names, List<string> warnings)
    {
        uint flags = 0;
        for (var i = 0; i < (names?.Count ?? 0); i++)
        {
            var flag = SeccompFilterFlags.Parse(names![i], $"{Field}.flags[{i}]");
            // TSYNC syncs the filter to the caller's other threads; the spawn child installs it on its only
            // thread just before execve, where TSYNC means nothing (and it conflicts with NEW_LISTENER).
            if (flag == SeccompFilterFlags.Tsync) warnings.Add("SECCOMP_FILTER_FLAG_TSYNC ignored: the filter is installed in the single-threaded child");
            else flags |= flag;
        }
        return flags;
    }

    private sealed record NamedRule(string Name, SeccompRule Rule, string Field);

    /// <summary>Validates every rule and flattens them to (syscall name, rule) pairs in profile order.</summary>
    private static List<NamedRule> ParseRules(List<SeccompSyscallRule>? syscalls, List<string> warnings)
    {
        var result = new List<NamedRule>();
        var warned = new HashSet<string>();
        for (var i = 0; i < (syscalls?.Count ?? 0); i++)
        {
            var field = $"{Field}.syscalls[{i}]";
            var entry = syscalls![i] ?? throw new SeccompProfileException(field, "null rule");
            var action = SeccompAction.Parse(entry.Action, entry.ErrnoRet, $"{field}.action", $"{field}.errnoRet");
            var conditions = new List<SeccompCondition>();
            for (var j = 0; j < (entry.Args?.Count ?? 0); j++)
            {
                var arg = entry.Args![j];
                if (arg.Index > 5) throw new SeccompProfileException($"{field}.args[{j}].index", $"{arg.Index} is not a syscall argument (0-5)");
                var op = SeccompOperators.Parse(arg.Op, $"{field}.args[{j}].op");
                conditions.Add(new SeccompCondition((int)arg.Index, op, arg.Value, arg.ValueTwo));
            }
            // runc: several conditions on the same argument become separate rules (any of them matches).
            var sameArgTwice = conditions.GroupBy(c => c.Index).Any(g => g.Count() > 1);
            IEnumerable<SeccompRule> expanded = sameArgTwice
                ? conditions.Select(c => new SeccompRule([c], action))
                : [new SeccompRule(conditions, action)];
            var expandedList = expanded.ToList();

            var names = entry.Names ?? [];
            if (names.Count == 0) warnings.Add($"{field} names no syscall: ignored");
            for (var n = 0; n < names.Count; n++)
            {
                var name = names[n];
                if (string.IsNullOrEmpty(name)) throw new SeccompProfileException($"{field}.names[{n}]", "empty syscall name");
                // The process that installs the filter parks the listener (dup3, close) and syncs with the
                // runtime (write, read) under it, before anyone can answer: a notified call there would hang.
                if (action.IsNotify && name is "write" or "read" or "close" or "dup3")
                    throw new SeccompProfileException($"{field}.action", $"SCMP_ACT_NOTIFY cannot be used for {name}");
                if (!SyscallTables.IsKnown(name))
                {
                    if (warned.Add(name)) warnings.Add($"unknown syscall \"{name}\" ({field}) ignored");
                    continue;
                }
                foreach (var rule in expandedList) result.Add(new NamedRule(name, rule, field));
            }
        }
        return result;
    }

    // ---- program layout --------------------------------------------------------------------

    private static void EmitProgram(BpfAssembler asm, HashSet<SeccompArchitecture> architectures,
        List<NamedRule> rules, SeccompAction defaultAction, List<string> warnings)
    {
        var badArch = SeccompAction.KillProcess.ReturnValue;
        var x86_64 = asm.NewLabel();
        var i386 = architectures.Contains(SeccompArchitecture.X86) ? asm.NewLabel() : null;

        asm.LoadWord(Bpf.OffsetArch);
        asm.JumpIf(Bpf.JEQ, SeccompArchitecture.X86_64.AuditArch, x86_64, null);
        if (i386 is not null) asm.JumpIf(Bpf.JEQ, SeccompArchitecture.X86.AuditArch, i386, null);
        asm.Return(badArch);

        asm.Mark(x86_64);
        asm.LoadWord(Bpf.OffsetNr);
        if (architectures.Contains(SeccompArchitecture.X32))
        {
            var x32 = asm.NewLabel();
            asm.JumpIf(Bpf.JGE, SeccompArchitecture.X32SyscallBit, x32, null);
            EmitAbi(asm, SeccompArchitecture.X86_64, 0, SeccompArchitecture.X32SyscallBit - 1, rules, defaultAction, warnings);
            asm.Mark(x32);
            EmitAbi(asm, SeccompArchitecture.X32, SeccompArchitecture.X32SyscallBit, uint.MaxValue, rules, defaultAction, warnings);
        }
        else
        {
            var native = asm.NewLabel();
            asm.JumpIf(Bpf.JGE, SeccompArchitecture.X32SyscallBit, null, native);
            asm.Return(badArch);
            asm.Mark(native);
            EmitAbi(asm, SeccompArchitecture.X86_64, 0, SeccompArchitecture.X32SyscallBit - 1, rules, defaultAction, warnings);
        }

        if (i386 is not null)
        {
            asm.Mark(i386);
            asm.LoadWord(Bpf.OffsetNr);
            EmitAbi(asm, SeccompArchitecture.X86, 0, uint.MaxValue, rules, defaultAction, warnings);
        }
    }

    /// <summary>A range of syscall numbers with one outcome: a constant return, or a syscall's arg checks.</summary>
    private sealed record Range(uint Low, uint High, uint Return, SyscallPolicy? Policy);

    /// <summary>Emits the decision for syscall numbers in [low, high] of one ABI; A holds the number.</summary>
    private static void EmitAbi(BpfAssembler asm, SeccompArchitecture arch, uint low, uint high,
        List<NamedRule> rules, SeccompAction defaultAction, List<string> warnings)
    {
        var table = arch.Table!;
        var policies = new SortedDictionary<uint, SyscallPolicy>();
        uint? highestNamed = null;
        foreach (var (name, rule, field) in rules)
        {
            if (!table.TryGetNumber(name, out var nr)) continue; // e.g. chown32 on x86-64
            highestNamed = highestNamed is { } h ? Math.Max(h, nr) : nr;
            if (!policies.TryGetValue(nr, out var policy)) policies[nr] = policy = new SyscallPolicy(name);
            if (rule.IsConditional) policy.Conditional.Add(rule);
            else if (policy.Unconditional is null) policy.Unconditional = rule.Action;
            else if (policy.Unconditional.Value.ReturnValue != rule.Action.ReturnValue && arch == SeccompArchitecture.Native)
                warnings.Add($"{field}: {rule.Action} for \"{name}\" ignored, an earlier rule without args already decides {policy.Unconditional}");
        }

        // Outcome of every number in [low, high] as sorted, merged ranges.
        var ranges = new List<Range>();
        void Add(uint from, uint to, uint ret, SyscallPolicy? policy)
        {
            if (policy is null && ranges.Count > 0 && ranges[^1].Policy is null && ranges[^1].Return == ret && ranges[^1].High + 1 == from)
                ranges[^1] = ranges[^1] with { High = to };
            else ranges.Add(new Range(from, to, ret, policy));
        }
        var enosysFrom = !defaultAction.LetsSyscallsRun && highestNamed is { } top && top < high ? top + 1 : (uint?)null;
        var next = low;
        foreach (var (nr, policy) in policies)
        {
            policy.Trim(defaultAction);
            if (policy.IsDefault(defaultAction)) continue;
            if (nr > next) Add(next, nr - 1, defaultAction.ReturnValue, null);
            if (policy.Conditional.Count == 0) Add(nr, nr, policy.Fallback(defaultAction), null);
            else Add(nr, nr, 0, policy);
            next = nr + 1;
        }
        var defaultEnd = enosysFrom is { } e ? e - 1 : high;
        if (next <= defaultEnd) Add(next, defaultEnd, defaultAction.ReturnValue, null);
        if (enosysFrom is { } start) Add(start, high, SeccompAction.Enosys.ReturnValue, null);

        EmitSearch(asm, ranges, 0, ranges.Count - 1, arch.Has32BitArguments, defaultAction);
    }

    /// <summary>Balanced binary search: each node splits the ranges with one JGE on the syscall number.</summary>
    private static void EmitSearch(BpfAssembler asm, List<Range> ranges, int first, int last, bool args32, SeccompAction defaultAction)
    {
        if (first == last)
        {
            var range = ranges[first];
            if (range.Policy is null) asm.Return(range.Return);
            else EmitArgumentChecks(asm, range.Policy, args32, defaultAction);
            return;
        }
        var middle = (first + last + 1) / 2;
        var upper = asm.NewLabel();
        asm.JumpIf(Bpf.JGE, ranges[middle].Low, upper, null);
        EmitSearch(asm, ranges, first, middle - 1, args32, defaultAction);
        asm.Mark(upper);
        EmitSearch(asm, ranges, middle, last, args32, defaultAction);
    }

    private static void EmitArgumentChecks(BpfAssembler asm, SyscallPolicy policy, bool args32, SeccompAction defaultAction)
    {
        foreach (var rule in policy.Conditional)
        {
            var nextRule = asm.NewLabel();
            foreach (var condition in rule.Conditions) SeccompConditionEmitter.Emit(asm, condition, args32, nextRule);
            asm.Return(rule.Action.ReturnValue);
            asm.Mark(nextRule);
        }
        asm.Return(policy.Fallback(defaultAction));
    }
}

using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Tests.Seccomp;

/// <summary>
/// The intended decision of a profile for one syscall, computed straight from the documented semantics
/// (see SeccompCompiler) without any BPF, so compiled programs can be checked against it.
/// </summary>
internal static class ProfileOracle
{
    private const uint KillProcess = 0x80000000, Enosys = 0x00050000 | 38, X32Bit = 0x40000000;

    public static uint Decide(SeccompProfile profile, uint arch, uint nr, ulong[] args)
    {
        var archs = new HashSet<string>(profile.Architectures ?? []) { "SCMP_ARCH_X86_64" };
        SyscallTable table;
        bool args32 = false;
        if (arch == BpfInterpreter.AuditArchX86_64)
        {
            if (nr >= X32Bit)
            {
                if (!archs.Contains("SCMP_ARCH_X32")) return KillProcess;
                table = SyscallTables.X32;
            }
            else table = SyscallTables.X86_64;
        }
        else if (arch == BpfInterpreter.AuditArchI386 && archs.Contains("SCMP_ARCH_X86"))
        {
            table = SyscallTables.I386;
            args32 = true;
        }
        else return KillProcess;

        var defaultAction = ActionValue(profile.DefaultAction, profile.DefaultErrnoRet);
        var name = table.NameOf(nr);
        var rules = profile.Syscalls ?? [];
        if (name is not null)
        {
            var mine = rules.Where(r => r.Names.Contains(name)).ToList();
            foreach (var rule in mine.Where(r => r.Args is { Count: > 0 }))
            {
                var sameArgTwice = rule.Args!.GroupBy(a => a.Index).Any(g => g.Count() > 1);
                var holds = sameArgTwice
                    ? rule.Args!.Any(c => Holds(c, args, args32))
                    : rule.Args!.All(c => Holds(c, args, args32));
                if (holds) return ActionValue(rule.Action, rule.ErrnoRet);
            }
            var unconditional = mine.FirstOrDefault(r => r.Args is null or { Count: 0 });
            if (unconditional is not null) return ActionValue(unconditional.Action, unconditional.ErrnoRet);
        }

        var lax = profile.DefaultAction is "SCMP_ACT_ALLOW" or "SCMP_ACT_LOG" or "SCMP_ACT_TRACE";
        var named = rules.SelectMany(r => r.Names).Select(n => table.TryGetNumber(n, out var v) ? v : (uint?)null)
            .Where(v => v is not null).Select(v => v!.Value).ToList();
        if (!lax && named.Count > 0 && nr > named.Max()) return Enosys;
        return defaultAction;
    }

    private static bool Holds(SeccompArg c, ulong[] args, bool args32)
    {
        ulong arg = args[c.Index], value = c.Value, two = c.ValueTwo;
        if (args32) { arg = (uint)arg; value = (uint)value; two = (uint)two; }
        return c.Op switch
        {
            "SCMP_CMP_NE" => arg != value,
            "SCMP_CMP_LT" => arg < value,
            "SCMP_CMP_LE" => arg <= value,
            "SCMP_CMP_EQ" => arg == value,
            "SCMP_CMP_GE" => arg >= value,
            "SCMP_CMP_GT" => arg > value,
            "SCMP_CMP_MASKED_EQ" => (arg & value) == two,
            _ => throw new ArgumentException(c.Op),
        };
    }

    public static uint ActionValue(string action, uint? errnoRet) => action switch
    {
        "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => 0,
        "SCMP_ACT_KILL_PROCESS" => 0x80000000,
        "SCMP_ACT_TRAP" => 0x00030000,
        "SCMP_ACT_ERRNO" => 0x00050000 | (errnoRet ?? 1),
        "SCMP_ACT_TRACE" => 0x7ff00000 | (errnoRet ?? 1),
        "SCMP_ACT_LOG" => 0x7ffc0000,
        "SCMP_ACT_NOTIFY" => 0x7fc00000,
        "SCMP_ACT_ALLOW" => 0x7fff0000,
        _ => throw new ArgumentException(action),
    };
}

using Kapsel.Linux.Fs;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Spec;
using static Kapsel.Linux.Interop.PrctlCalls;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// The process part of a spawn plan, shared by a container's init and by exec: limits and
/// scheduling, identity, capabilities, no_new_privs, seccomp, execve. The order matters:
/// bounding-set drops need CAP_SETPCAP (before the uid change), KEEPCAPS keeps the permitted set
/// across setresuid so capset can install the requested sets, ambient raises need the
/// capabilities in permitted+inheritable (after capset), and seccomp comes last so the filter
/// never has to allow the setup calls.
/// </summary>
internal static class ProcessSetup
{
    private const int CAP_SYS_RESOURCE = 24;

    /// <summary>
    /// The program to execve, found inside the container before spawning (runc's errors and exit codes).
    /// An absolute or relative path may be missing (a volume mounted later may bring it) and is returned as given.
    /// </summary>
    public static string ResolveExecutable(RootfsPaths root, string program, IReadOnlyList<string> env, string cwd)
    {
        var pathVariable = ExecutableResolver.PathVariable(env);
        var (path, result) = ExecutableResolver.Find(program, pathVariable, cwd, root.Probe);
        if (program.Contains('/'))
            return result switch
            {
                ExecutableResolver.Lookup.NotExecutable => throw new OciException($"exec: \"{program}\": permission denied (not an executable file)", 126),
                ExecutableResolver.Lookup.Directory => throw new OciException($"exec: \"{program}\": is a directory", 126),
                _ => path,
            };
        return result switch
        {
            ExecutableResolver.Lookup.Executable => path,
            ExecutableResolver.Lookup.NotExecutable => throw new OciException($"exec: \"{program}\": permission denied (found in $PATH but not executable)", 126),
            _ => throw new OciException($"exec: \"{program}\": executable file not found in $PATH ({pathVariable ?? ExecutableResolver.DefaultPath})", 127),
        };
    }

    /// <summary>rlimits (clamped to the runtime's hard limits without CAP_SYS_RESOURCE), ioprio, scheduler, umask.</summary>
    public static void AddLimits(SpawnPlan plan, ProcessSpec process, List<string> warnings)
    {
        var canRaise = (CapabilityCalls.Get().Effective & (1UL << CAP_SYS_RESOURCE)) != 0;
        foreach (var r in process.Rlimits ?? [])
        {
            var resource = RlimitCalls.Parse(r.Type);
            ulong soft = r.Soft, hard = r.Hard;
            if (!canRaise)
            {
                var (_, ownHard) = RlimitCalls.Get(resource);
                if (hard > ownHard)
                {
                    warnings.Add($"process.rlimits: {r.Type} hard limit {Show(hard)} exceeds this host's hard limit {Show(ownHard)} " +
                                 "and the runtime lacks CAP_SYS_RESOURCE; clamped to " + Show(ownHard));
                    hard = ownHard;
                    soft = Math.Min(soft, hard);
                }
            }
            plan.SetRlimit(resource, soft, hard);
        }
        if (process.IoPriority is { } io)
            plan.IoprioSet(io.Class switch { "IOPRIO_CLASS_RT" => 1, "IOPRIO_CLASS_BE" => 2, _ => 3 }, io.Priority);
        if (process.Scheduler is { } s)
        {
            ulong flags = 0;
            foreach (var f in s.Flags ?? []) flags |= SchedulerPolicies.Flag(f);
            plan.SchedSetattr((uint)SchedulerPolicies.Number(s.Policy), flags, s.Nice ?? 0, (uint)(s.Priority ?? 0),
                s.Runtime ?? 0, s.Deadline ?? 0, s.Period ?? 0);
        }
        if (process.User.Umask is { } umask) plan.Umask((int)umask);
        else plan.Umask(0x12); // 0022, as runc
    }

    private static string Show(ulong v) => v == RlimitCalls.Infinity ? "unlimited" : v.ToString();

    /// <summary>Bounding set, groups, uid/gid, capsets, ambient set.</summary>
    public static void AddIdentity(SpawnPlan plan, ProcessSpec process, List<string> warnings, bool setGroupsAllowed = true)
    {
        var lastCap = CapabilityCalls.LastCap;
        var caps = process.Capabilities;
        if (caps is not null)
        {
            var bounding = Mask(caps.Bounding, lastCap, "bounding", warnings);
            for (var cap = 0; cap <= lastCap; cap++)
                if ((bounding & (1UL << cap)) == 0)
                    plan.Prctl($"PR_CAPBSET_DROP, {CapabilityCalls.Names.ElementAtOrDefault(cap) ?? cap.ToString()}", PR_CAPBSET_DROP, cap);
            plan.Prctl("PR_SET_KEEPCAPS, 1", PR_SET_KEEPCAPS, 1);
        }
        var user = process.User;
        if (setGroupsAllowed) plan.SetGroups(user.AdditionalGids ?? []);
        plan.SetResGid(user.Gid);
        plan.SetResUid(user.Uid);
        if (caps is not null)
        {
            var permitted = Mask(caps.Permitted, lastCap, "permitted", warnings);
            var inheritable = Mask(caps.Inheritable, lastCap, "inheritable", warnings);
            plan.Capset(Mask(caps.Effective, lastCap, "effective", warnings), permitted, inheritable);
            plan.Prctl("PR_SET_KEEPCAPS, 0", PR_SET_KEEPCAPS, 0);
            // The kernel raises an ambient capability only if it is permitted and inheritable.
            // runtime-spec: capabilities that cannot be granted are a warning, not a failure (runc
            // goes on too: `runc spec` itself writes ambient without inheritable).
            var ambient = Mask(caps.Ambient, lastCap, "ambient", warnings);
            var refused = new List<string>();
            for (var cap = 0; cap <= lastCap; cap++)
            {
                if ((ambient & (1UL << cap)) == 0) continue;
                if ((permitted & inheritable & (1UL << cap)) == 0) { refused.Add(CapabilityCalls.Names[cap]); continue; }
                plan.Prctl($"PR_CAP_AMBIENT_RAISE, {CapabilityCalls.Names[cap]}", PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, optional: true);
            }
            if (refused.Count > 0)
                warnings.Add($"process.capabilities.ambient: {string.Join(", ", refused)} not raised: an ambient capability must also be permitted and inheritable");
        }
    }

    public static ulong Mask(IEnumerable<string>? names, int lastCap, string set, List<string>? warnings)
    {
        ulong mask = 0;
        foreach (var name in names ?? [])
        {
            var cap = Array.IndexOf(CapabilityCalls.Names, name);
            if (cap < 0) continue; // rejected by the validator
            if (cap > lastCap)
            {
                warnings?.Add($"process.capabilities.{set}: {name} is unknown to this kernel; ignored");
                continue;
            }
            mask |= 1UL << cap;
        }
        return mask;
    }

    /// <summary>
    /// The seccomp filter. With no_new_privs it is the last step before execve; without, the kernel
    /// demands CAP_SYS_ADMIN for it, so it must come before the identity change drops capabilities
    /// (the filter then also sees the remaining setup calls, as with runc).
    /// </summary>
    public static void AddSeccomp(SpawnPlan plan, CompiledFilter? filter)
    {
        if (filter is not { Program.Length: > 0 }) return;
        if (filter.ListenerPath is not null) SeccompListenerHandover.AddSteps(plan, filter);
        else plan.Seccomp(filter.Program, filter.Flags);
    }

    /// <summary>
    /// With a listener and no_new_privs, the filter goes in before the caller's sync point with
    /// the runtime (which must take the listener while the process waits), not just before execve.
    /// Returns the filter still to install at <see cref="AddExec"/> (null once installed).
    /// </summary>
    public static CompiledFilter? AddEarlySeccompForListener(SpawnPlan plan, ProcessSpec process, CompiledFilter? filter)
    {
        if (!process.NoNewPrivileges || filter?.ListenerPath is null) return filter;
        plan.Prctl("PR_SET_NO_NEW_PRIVS, 1", PR_SET_NO_NEW_PRIVS, 1);
        AddSeccomp(plan, filter);
        return null;
    }

    /// <summary>no_new_privs, (seccomp,) execve: the last steps of every plan.</summary>
    public static void AddExec(SpawnPlan plan, ProcessSpec process, CompiledFilter? filter, string executable, IReadOnlyList<string> env)
    {
        AppArmor.WriteExecProfile(plan, process.ApparmorProfile);
        if (process.NoNewPrivileges)
        {
            plan.Prctl("PR_SET_NO_NEW_PRIVS, 1", PR_SET_NO_NEW_PRIVS, 1);
            AddSeccomp(plan, filter);
        }
        plan.Execve(executable, process.Args!, env);
    }
}

/// <summary>A compiled seccomp program ready for a plan.</summary>
/// <summary>A compiled seccomp program ready for a plan; with SCMP_ACT_NOTIFY rules, where its listener goes.</summary>
internal sealed record CompiledFilter(byte[] Program, uint Flags, string? ListenerPath = null, string? ListenerMetadata = null);

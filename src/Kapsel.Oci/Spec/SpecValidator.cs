using System.Text.RegularExpressions;
using Kapsel.Linux;
using Kapsel.Linux.Interop;

namespace Kapsel.Oci.Spec;

/// <summary>
/// Checks a parsed config before anything is created. Every problem names its field path,
/// e.g. <c>config.json: linux.namespaces[2].type: unknown namespace type "foo"</c>.
/// All problems are collected; the error shows the first few on one line and counts the rest.
/// </summary>
public sealed partial class SpecValidator
{
    public static readonly string[] NamespaceTypes = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"];
    public static readonly string[] Propagations = ["", "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"];

    private readonly List<string> _errors = [];
    private readonly List<string> _warnings;
    private readonly string _label;

    private SpecValidator(List<string> warnings, string label)
    {
        _warnings = warnings;
        _label = label;
    }

    /// <summary>Throws one <see cref="OciException"/> listing every problem; adds warnings for accepted-but-ignored fields.</summary>
    /// <param name="bundle">Directory root.path is relative to; null skips filesystem checks.</param>
    public static void Validate(RuntimeSpec spec, string? bundle, List<string> warnings, bool requireProcess = true, string label = "config.json")
    {
        var v = new SpecValidator(warnings, label);
        v.Check(spec, bundle, requireProcess);
        v.ThrowIfAny();
    }

    /// <summary>Validates a process.json given to exec.</summary>
    public static void ValidateProcess(ProcessSpec process, List<string> warnings, string label = "process.json")
    {
        var v = new SpecValidator(warnings, label);
        v.CheckProcess(process, "");
        v.ThrowIfAny();
    }

    /// <summary>The largest id runc accepts (and the kernel's setres*id, where -1 means "unchanged").</summary>
    public const uint MaxId = int.MaxValue;

    private void Error(string path, string problem) => _errors.Add($"{_label}: {path}: {ErrorText.OneLine(problem, 200)}");

    private void ThrowIfAny()
    {
        if (_errors.Count == 0) return;
        var shown = _errors.Distinct().Take(3).ToList();
        var more = _errors.Count - shown.Count;
        throw new OciException(string.Join("; ", shown) + (more > 0 ? $" (and {more} more problems)" : ""));
    }

    private void CheckId(uint id, string path)
    {
        if (id > MaxId) Error(path, $"{id} is outside the valid range 0..{MaxId}");
    }
    private void Warn(string path, string problem) => _warnings.Add($"{_label}: {path}: {problem}");

    private void Check(RuntimeSpec spec, string? bundle, bool requireProcess)
    {
        if (string.IsNullOrEmpty(spec.OciVersion)) Error("ociVersion", "missing (e.g. \"1.2.0\")");
        else if (!VersionPattern().IsMatch(spec.OciVersion)) Error("ociVersion", $"\"{spec.OciVersion}\" is not a version like 1.2.0");
        else if (!spec.OciVersion.StartsWith("1.", StringComparison.Ordinal)) Error("ociVersion", $"unsupported major version in \"{spec.OciVersion}\" (this runtime implements 1.x)");

        if (spec.Root is null || string.IsNullOrEmpty(spec.Root.Path)) Error("root.path", "missing: the container needs a root filesystem");
        else if (bundle is not null)
        {
            var rootfs = Path.IsPathRooted(spec.Root.Path) ? spec.Root.Path : Path.Combine(bundle, spec.Root.Path);
            if (!Directory.Exists(rootfs)) Error("root.path", $"root filesystem \"{rootfs}\" does not exist or is not a directory");
        }

        if (spec.Process is null) { if (requireProcess) Error("process", "missing: nothing to run"); }
        else CheckProcess(spec.Process, "process.");

        for (var i = 0; i < (spec.Mounts?.Count ?? 0); i++) CheckMount(spec.Mounts![i], $"mounts[{i}]");
        CheckHooks(spec.Hooks);
        if (spec.Linux is { } linux) CheckLinux(linux, spec);
        else Error("linux", "missing: this runtime runs Linux containers only");
    }

    private void CheckProcess(ProcessSpec p, string prefix)
    {
        if (p.Args is null || p.Args.Count == 0)
        {
            if (string.IsNullOrEmpty(p.CommandLine)) Error(prefix + "args", "missing or empty: at least the program to run is required");
        }
        else if (string.IsNullOrEmpty(p.Args[0])) Error(prefix + "args[0]", "empty program name");
        if (string.IsNullOrEmpty(p.Cwd)) Error(prefix + "cwd", "missing: an absolute path is required");
        else if (!p.Cwd.StartsWith('/')) Error(prefix + "cwd", $"\"{p.Cwd}\" is not an absolute path");
        for (var i = 0; i < (p.Env?.Count ?? 0); i++)
            if (!p.Env![i].Contains('=')) Error($"{prefix}env[{i}]", $"\"{p.Env[i]}\" is not of the form KEY=value");
        if (p.Capabilities is { } caps)
        {
            CheckCaps(caps.Bounding, prefix + "capabilities.bounding");
            CheckCaps(caps.Effective, prefix + "capabilities.effective");
            CheckCaps(caps.Inheritable, prefix + "capabilities.inheritable");
            CheckCaps(caps.Permitted, prefix + "capabilities.permitted");
            CheckCaps(caps.Ambient, prefix + "capabilities.ambient");
        }
        var seen = new HashSet<string>();
        for (var i = 0; i < (p.Rlimits?.Count ?? 0); i++)
        {
            var r = p.Rlimits![i];
            if (Array.IndexOf(RlimitCalls.Names, r.Type) < 0) Error($"{prefix}rlimits[{i}].type", $"unknown rlimit \"{r.Type}\"");
            else if (!seen.Add(r.Type)) Error($"{prefix}rlimits[{i}].type", $"\"{r.Type}\" is given more than once");
            if (r.Soft > r.Hard) Error($"{prefix}rlimits[{i}]", $"soft limit {r.Soft} exceeds hard limit {r.Hard}");
        }
        CheckId(p.User.Uid, prefix + "user.uid");
        CheckId(p.User.Gid, prefix + "user.gid");
        for (var i = 0; i < (p.User.AdditionalGids?.Count ?? 0); i++) CheckId(p.User.AdditionalGids![i], $"{prefix}user.additionalGids[{i}]");
        if (p.OomScoreAdj is { } oom && (oom < -1000 || oom > 1000)) Error(prefix + "oomScoreAdj", $"{oom} is outside -1000..1000");
        if (p.User.Umask is { } umask && umask > 0x1ff) Error(prefix + "user.umask", $"{umask} is not a valid umask (0..0777)");
        if (!string.IsNullOrEmpty(p.ApparmorProfile) && !Runtime.AppArmor.Enabled())
            Warn(prefix + "apparmorProfile", "AppArmor is not enabled on this host; profile ignored");
        if (!string.IsNullOrEmpty(p.SelinuxLabel)) Warn(prefix + "selinuxLabel", "SELinux is not available on this host; label ignored");
        if (p.IoPriority is { } io)
        {
            if (io.Class is not ("IOPRIO_CLASS_RT" or "IOPRIO_CLASS_BE" or "IOPRIO_CLASS_IDLE"))
                Error(prefix + "ioPriority.class", $"unknown class \"{io.Class}\" (IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE)");
            if (io.Priority is < 0 or > 7) Error(prefix + "ioPriority.priority", $"{io.Priority} is outside 0..7");
        }
        if (p.Scheduler is { } s)
        {
            if (SchedulerPolicies.Number(s.Policy) < 0) Error(prefix + "scheduler.policy", $"unknown policy \"{s.Policy}\"");
            if (s.Nice is < -20 or > 19) Error(prefix + "scheduler.nice", $"{s.Nice} is outside -20..19");
            for (var i = 0; i < (s.Flags?.Count ?? 0); i++)
                if (SchedulerPolicies.Flag(s.Flags![i]) == 0) Error($"{prefix}scheduler.flags[{i}]", $"unknown flag \"{s.Flags[i]}\"");
        }
        if (p.ConsoleSize is not null && !p.Terminal) Warn(prefix + "consoleSize", "ignored without terminal: true");
    }

    private void CheckCaps(List<string>? names, string path)
    {
        for (var i = 0; i < (names?.Count ?? 0); i++)
            if (Array.IndexOf(CapabilityCalls.Names, names![i]) < 0)
                Error($"{path}[{i}]", $"unknown capability \"{names[i]}\"");
    }

    private void CheckMount(MountSpec m, string path)
    {
        if (string.IsNullOrEmpty(m.Destination)) Error(path + ".destination", "missing");
        else if (!m.Destination.StartsWith('/')) Error(path + ".destination", $"\"{m.Destination}\" is not an absolute path");
        var options = MountOptions.Parse(m.Options);
        if (options.IsBind && string.IsNullOrEmpty(m.Source)) Error(path + ".source", "missing: a bind mount needs a source");
        if (m.UidMappings is { Count: > 0 } || m.GidMappings is { Count: > 0 })
        {
            if (!options.IsBind) Error(path + ".uidMappings", "id-mapped mounts are only supported for bind mounts");
            CheckMappings(m.UidMappings, path + ".uidMappings");
            CheckMappings(m.GidMappings, path + ".gidMappings");
        }
    }

    private void CheckHooks(HooksSpec? hooks)
    {
        if (hooks is null) return;
        void Each(List<HookSpec>? list, string name)
        {
            for (var i = 0; i < (list?.Count ?? 0); i++)
            {
                var h = list![i];
                if (string.IsNullOrEmpty(h.Path) || !h.Path.StartsWith('/')) Error($"hooks.{name}[{i}].path", $"\"{h.Path}\" is not an absolute path");
                if (h.Timeout is <= 0) Error($"hooks.{name}[{i}].timeout", $"{h.Timeout} must be greater than zero");
            }
        }
        Each(hooks.Prestart, "prestart");
        Each(hooks.CreateRuntime, "createRuntime");
        Each(hooks.CreateContainer, "createContainer");
        Each(hooks.StartContainer, "startContainer");
        Each(hooks.Poststart, "poststart");
        Each(hooks.Poststop, "poststop");
        if (hooks.Prestart is { Count: > 0 }) Warn("hooks.prestart", "deprecated; run as createRuntime hooks");
    }

    private void CheckLinux(LinuxSpec linux, RuntimeSpec spec)
    {
        var types = new HashSet<string>();
        for (var i = 0; i < (linux.Namespaces?.Count ?? 0); i++)
        {
            var ns = linux.Namespaces![i];
            var path = $"linux.namespaces[{i}]";
            if (Array.IndexOf(NamespaceTypes, ns.Type) < 0) Error(path + ".type", $"unknown namespace type \"{ns.Type}\"");
            else if (!types.Add(ns.Type)) Error(path + ".type", $"namespace \"{ns.Type}\" is listed more than once");
            if (ns.Path is { Length: > 0 } p)
            {
                if (!p.StartsWith('/')) Error(path + ".path", $"\"{p}\" is not an absolute path");
                else if (!File.Exists(p)) Error(path + ".path", $"\"{p}\" does not exist");
            }
        }
        var newUserNs = linux.Namespaces?.Any(n => n.Type == "user" && string.IsNullOrEmpty(n.Path)) == true;
        var hasMappings = linux.UidMappings is { Count: > 0 } || linux.GidMappings is { Count: > 0 };
        if (newUserNs)
        {
            if (linux.UidMappings is not { Count: > 0 }) Error("linux.uidMappings", "required with a new user namespace");
            if (linux.GidMappings is not { Count: > 0 }) Error("linux.gidMappings", "required with a new user namespace");
        }
        else if (hasMappings) Error("linux.uidMappings", "given, but no new user namespace is requested in linux.namespaces");
        CheckMappings(linux.UidMappings, "linux.uidMappings");
        CheckMappings(linux.GidMappings, "linux.gidMappings");
        if (newUserNs && spec.Process is { } proc)
        {
            if (linux.UidMappings is { Count: > 0 } um && !Maps(um, proc.User.Uid)) Error("process.user.uid", $"{proc.User.Uid} is not mapped by linux.uidMappings");
            if (linux.GidMappings is { Count: > 0 } gm && !Maps(gm, proc.User.Gid)) Error("process.user.gid", $"{proc.User.Gid} is not mapped by linux.gidMappings");
        }

        if (linux.TimeOffsets is { Count: > 0 })
        {
            if (!types.Contains("time")) Error("linux.timeOffsets", "given, but no time namespace is requested in linux.namespaces");
            foreach (var key in linux.TimeOffsets.Keys)
                if (key is not ("monotonic" or "boottime")) Error($"linux.timeOffsets[\"{key}\"]", "unknown clock (monotonic or boottime)");
            foreach (var (key, value) in linux.TimeOffsets)
                if (value.Nanosecs >= 1_000_000_000) Error($"linux.timeOffsets[\"{key}\"].nanosecs", $"{value.Nanosecs} must be below 1000000000");
        }
        var utsNs = types.Contains("uts");
        if (!string.IsNullOrEmpty(spec.Hostname) && !utsNs) Error("hostname", "cannot set a hostname without a uts namespace (add {\"type\": \"uts\"} to linux.namespaces)");
        if (!string.IsNullOrEmpty(spec.Domainname) && !utsNs) Error("domainname", "cannot set a domainname without a uts namespace");

        for (var i = 0; i < (linux.Devices?.Count ?? 0); i++)
        {
            var d = linux.Devices![i];
            var path = $"linux.devices[{i}]";
            if (d.Type is not ("c" or "b" or "u" or "p")) Error(path + ".type", $"unknown device type \"{d.Type}\" (c, b, u or p)");
            if (string.IsNullOrEmpty(d.Path) || !d.Path.StartsWith('/')) Error(path + ".path", $"\"{d.Path}\" is not an absolute path");
            if (d.Type is "c" or "b" or "u" && (d.Major is null || d.Minor is null)) Error(path, "major and minor are required for this device type");
            if (d.Uid is { } du) CheckId(du, path + ".uid");
            if (d.Gid is { } dg) CheckId(dg, path + ".gid");
        }
        if (linux.RootfsPropagation is { } prop && Array.IndexOf(Propagations, prop) < 0)
            Error("linux.rootfsPropagation", $"unknown propagation \"{prop}\"");
        if (linux.CgroupsPath is { Length: > 0 } cg && cg.Contains("..")) Error("linux.cgroupsPath", $"\"{cg}\" must not contain \"..\"");
        for (var i = 0; i < (linux.MaskedPaths?.Count ?? 0); i++)
            if (!linux.MaskedPaths![i].StartsWith('/')) Error($"linux.maskedPaths[{i}]", $"\"{linux.MaskedPaths[i]}\" is not an absolute path");
        for (var i = 0; i < (linux.ReadonlyPaths?.Count ?? 0); i++)
            if (!linux.ReadonlyPaths![i].StartsWith('/')) Error($"linux.readonlyPaths[{i}]", $"\"{linux.ReadonlyPaths[i]}\" is not an absolute path");
        foreach (var key in linux.Sysctl?.Keys ?? Enumerable.Empty<string>())
            if (SysctlProblem(key, types, linux.Namespaces) is { } problem) Error($"linux.sysctl[\"{ErrorText.Value(key)}\"]", problem);
        if (linux.Personality is { } pers && pers.Domain is not ("LINUX" or "LINUX32"))
            Error("linux.personality.domain", $"unknown domain \"{pers.Domain}\" (LINUX or LINUX32)");
        if (!string.IsNullOrEmpty(linux.MountLabel)) Warn("linux.mountLabel", "SELinux is not available on this host; label ignored");
        if (linux.IntelRdt is not null) Warn("linux.intelRdt", "Intel RDT (resctrl) is not supported by this runtime; ignored");
        if (linux.MemoryPolicy is { } mp && MemoryPolicyModes.Number(mp.Mode) < 0)
            Error("linux.memoryPolicy.mode", $"unknown mode \"{mp.Mode}\"");
        if (linux.NetDevices is { Count: > 0 } netDevices) CheckNetDevices(netDevices, types.Contains("network"));
        if (linux.Resources is { } res) CheckResources(res, "linux.resources");
    }

    /// <summary>IPC sysctls that live in the IPC namespace (as runc's list).</summary>
    private static readonly string[] IpcSysctls =
        ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];

    /// <summary>
    /// Only sysctls of a namespace the container has of its own may be set (as runc): anything
    /// else would change the host (the runtime's own hostname, the host's ip_forward, a host-wide
    /// fs.* value).
    /// </summary>
    private static string? SysctlProblem(string key, HashSet<string> types, List<NamespaceSpec>? namespaces)
    {
        if (key.Length == 0 || key.Contains("..") || key.Contains('/') && key.Contains('.') || key.StartsWith('.') || key.StartsWith('/'))
            return "not a valid sysctl name";
        var name = key.Replace('/', '.');
        bool Own(string type) => types.Contains(type);
        if (name.StartsWith("net.", StringComparison.Ordinal))
        {
            if (!Own("network")) return "net.* sysctls need a network namespace of the container's own";
            var path = namespaces?.FirstOrDefault(n => n.Type == "network")?.Path;
            if (path is { Length: > 0 } && SameNamespace(path, "/proc/self/ns/net")) return "not allowed in the host's network namespace";
            return null;
        }
        if (name is "kernel.hostname" or "kernel.domainname") return Own("uts") ? null : "needs a uts namespace";
        if (Array.IndexOf(IpcSysctls, name) >= 0 || name.StartsWith("fs.mqueue.", StringComparison.Ordinal))
            return Own("ipc") ? null : "needs an ipc namespace";
        return "is not in a namespace of the container's own: it would change the host";
    }

    private static bool SameNamespace(string a, string b) =>
        Linux.Fs.FileStatus.Inode(a) is var ia and >= 0 && ia == Linux.Fs.FileStatus.Inode(b);

    private void CheckNetDevices(Dictionary<string, NetDeviceSpec> devices, bool hasNetworkNamespace)
    {
        if (!hasNetworkNamespace)
            Error("linux.netDevices", "moving network devices needs a network namespace (add {\"type\": \"network\"} to linux.namespaces)");
        var inside = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (hostName, device) in devices)
        {
            var path = $"linux.netDevices[\"{hostName}\"]";
            if (InterfaceNameProblem(hostName) is { } p) Error(path, $"\"{hostName}\" {p}");
            var name = string.IsNullOrEmpty(device?.Name) ? hostName : device.Name;
            if (!string.IsNullOrEmpty(device?.Name) && InterfaceNameProblem(name) is { } q) Error(path + ".name", $"\"{name}\" {q}");
            if (!inside.Add(name)) Error(path, $"two devices would be named \"{name}\" in the container");
            if (name == "lo") Error(path, "\"lo\" is the container's own loopback device");
        }
    }

    /// <summary>The kernel's rules for interface names (dev_valid_name), so a bad one fails before anything is made.</summary>
    private static string? InterfaceNameProblem(string name) =>
        name.Length == 0 ? "is empty"
        : System.Text.Encoding.UTF8.GetByteCount(name) > 15 ? "is longer than 15 bytes"
        : name is "." or ".." ? "is not a valid interface name"
        : name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)) ? "must not contain '/', ':' or white space"
        : null;

    /// <summary>Also used by <c>update</c>, whose -r file is a bare resources object.</summary>
    public static void ValidateResources(ResourcesSpec res, string label, string prefix)
    {
        var v = new SpecValidator([], label);
        v.CheckResources(res, prefix);
        v.ThrowIfAny();
    }

    private void CheckResources(ResourcesSpec res, string prefix)
    {
        if (res.Memory is { } m)
        {
            if (m.Limit is < -1 or 0) Error(prefix + ".memory.limit", $"{m.Limit} is not a valid limit (bytes > 0, or -1 for unlimited)");
            if (m.Limit is > 0 and < 6 * 1024 * 1024) Error(prefix + ".memory.limit", $"{m.Limit} bytes is below the 6 MiB minimum a container needs");
            if (m.Swap is < -1) Error(prefix + ".memory.swap", $"{m.Swap} is not a valid limit");
            if (m.Swap is > 0 && m.Limit is > 0 && m.Swap < m.Limit) Error(prefix + ".memory.swap", $"memory+swap limit {m.Swap} is smaller than the memory limit {m.Limit}");
            if (m.Reservation is < -1) Error(prefix + ".memory.reservation", $"{m.Reservation} is not valid");
            if (m.Swappiness is > 100) Error(prefix + ".memory.swappiness", $"{m.Swappiness} is outside 0..100");
        }
        if (res.Cpu is { } c)
        {
            if (c.Shares is 1) Error(prefix + ".cpu.shares", "must be at least 2");
            // 0 means "not set" for runc and what Docker sends, like blockIO.weight 0 below.
            if (c.Quota is < -1) Error(prefix + ".cpu.quota", $"{c.Quota} is not valid (microseconds > 0, or -1)");
            if (c.Quota is > 0 and < 1000) Error(prefix + ".cpu.quota", $"{c.Quota} is below the kernel minimum of 1000 microseconds");
            if (c.Period is { } period && (period < 1000 || period > 1_000_000)) Error(prefix + ".cpu.period", $"{period} is outside 1000..1000000 microseconds");
            if (c.Cpus is { Length: > 0 } cpus && !CpuListPattern().IsMatch(cpus)) Error(prefix + ".cpu.cpus", $"\"{cpus}\" is not a cpu list like 0-3,5");
            if (c.Mems is { Length: > 0 } mems && !CpuListPattern().IsMatch(mems)) Error(prefix + ".cpu.mems", $"\"{mems}\" is not a node list like 0-1");
        }
        if (res.Pids is { } p && p.Limit is < -1) Error(prefix + ".pids.limit", $"{p.Limit} is not valid (> 0, or 0/-1 for unlimited)");
        if (res.BlockIo is { } b)
        {
            if (b.Weight is { } w && w != 0 && (w < 10 || w > 1000)) Error(prefix + ".blockIO.weight", $"{w} is outside 10..1000");
            if (b.LeafWeight is { } lw && lw != 0 && (lw < 10 || lw > 1000)) Error(prefix + ".blockIO.leafWeight", $"{lw} is outside 10..1000");
        }
        for (var i = 0; i < (res.Devices?.Count ?? 0); i++)
        {
            var d = res.Devices![i];
            var path = $"{prefix}.devices[{i}]";
            if (d.Type is not (null or "a" or "c" or "b")) Error(path + ".type", $"unknown device type \"{d.Type}\" (a, c or b)");
            if (d.Access is { } access && (access.Length == 0 || access.Any(ch => ch is not ('r' or 'w' or 'm'))))
                Error(path + ".access", $"\"{access}\" is not a combination of r, w and m");
        }
        for (var i = 0; i < (res.HugepageLimits?.Count ?? 0); i++)
            if (!HugePagePattern().IsMatch(res.HugepageLimits![i].PageSize)) Error($"{prefix}.hugepageLimits[{i}].pageSize", $"\"{res.HugepageLimits[i].PageSize}\" is not a size like 2MB");
        foreach (var key in res.Unified?.Keys ?? Enumerable.Empty<string>())
            if (key.Contains('/') || !key.Contains('.')) Error($"{prefix}.unified[\"{key}\"]", "not a cgroup v2 interface file name");
    }

    private void CheckMappings(List<IdMappingSpec>? maps, string path)
    {
        if (maps is null) return;
        if (maps.Count > 340) Error(path, "more than 340 mappings");
        for (var i = 0; i < maps.Count; i++)
        {
            var m = maps[i];
            if (m.Size == 0) Error($"{path}[{i}].size", "must be greater than zero");
            CheckId(m.ContainerId, $"{path}[{i}].containerID");
            CheckId(m.HostId, $"{path}[{i}].hostID");
            if ((ulong)m.ContainerId + m.Size > uint.MaxValue || (ulong)m.HostId + m.Size > uint.MaxValue) Error($"{path}[{i}]", "range overflows 32-bit ids");
            for (var j = 0; j < i; j++)
            {
                var o = maps[j];
                if (Overlap(m.ContainerId, o.ContainerId, m.Size, o.Size)) Error($"{path}[{i}]", $"container range overlaps {path}[{j}]");
                else if (Overlap(m.HostId, o.HostId, m.Size, o.Size)) Error($"{path}[{i}]", $"host range overlaps {path}[{j}]");
            }
        }
    }

    private static bool Overlap(uint a, uint b, uint sizeA, uint sizeB) => (ulong)a < (ulong)b + sizeB && (ulong)b < (ulong)a + sizeA;

    private static bool Maps(List<IdMappingSpec> maps, uint id) => maps.Any(m => id >= m.ContainerId && id - m.ContainerId < m.Size);

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.+-]+)?$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^\d+(-\d+)?(,\d+(-\d+)?)*$")]
    private static partial Regex CpuListPattern();

    [GeneratedRegex(@"^\d+[KMG]B$")]
    private static partial Regex HugePagePattern();
}

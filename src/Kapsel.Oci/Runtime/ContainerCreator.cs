using System.Net.Sockets;
using Kapsel.Linux;
using Kapsel.Linux.Fs;
using Kapsel.Linux.Cgroups;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Interop;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

public sealed record CreateOptions
{
    public required string Id { get; init; }
    public required string Bundle { get; init; }
    public string? PidFile { get; init; }
    public string? ConsoleSocket { get; init; }
    public int PreserveFds { get; init; }
    public bool NoPivot { get; init; }
    public bool NoNewKeyring { get; init; }
    /// <summary>The container's stdin/stdout/stderr; null = the runtime's own 0/1/2, as runc does.</summary>
    public ContainerStdio? Stdio { get; init; }
}

/// <summary>Fds in the runtime process that become the container's 0, 1 and 2.</summary>
public sealed record ContainerStdio(int Stdin, int Stdout, int Stderr);

/// <summary>
/// `create`: validates the bundle, makes the state directory, exec fifo and cgroup, spawns the
/// init (which stops at the exec fifo), runs the create-time hooks and records the state.
/// Any failure unwinds everything through a <see cref="Revert"/>.
/// </summary>
public static class ContainerCreator
{
    /// <summary>Returns the spawned init (the caller may wait on it, as `run` does, or just dispose it).</summary>
    public static SpawnedProcess Create(RuntimeContext ctx, CreateOptions o)
    {
        var warnings = new List<string>();
        try { return CreateCore(ctx, o, warnings); }
        finally { ctx.WarnAll(warnings); }
    }

    private static SpawnedProcess CreateCore(RuntimeContext ctx, CreateOptions o, List<string> warnings)
    {
        StateStore.CheckId(o.Id);
        var bundle = Path.GetFullPath(o.Bundle);
        var configPath = Path.Combine(bundle, "config.json");
        var (configJson, spec, loadWarnings) = ctx.LoadConfig(configPath);
        warnings.AddRange(loadWarnings);
        SpecValidator.Validate(spec, bundle, warnings);
        var process = spec.Process!;
        if (process.Terminal && o.ConsoleSocket is null)
            throw new OciException("config.json: process.terminal is true, but no --console-socket was given to receive the terminal");
        var seccomp = SeccompBinding.Compile(spec.Linux!.Seccomp, warnings); // the validator requires linux
        var cgroupPath = CgroupBinding.PathFor(spec, o.Id, ctx.SystemdCgroup);

        var store = ctx.Store;
        using var revert = new Revert();
        var netnsFd = -1; // held while linux.netDevices may still have to be moved back
        var fds = new List<int>();
        try
        {
            var dir = store.CreateDir(o.Id);
            revert.Add("state directory", () => store.Remove(o.Id));
            OciCalls.MakeFifo(Path.Combine(dir, StateStore.FifoName), 0x192 /* 0622 */);
            store.SaveConfig(o.Id, configJson);

            // Device rules wait until the init is ready: they may deny mknod of the very
            // linux.devices the init creates (runc, too, applies them only then).
            var resources = CgroupBinding.Map(spec.Linux.Resources);
            var cgroup = Cgroup.Create(cgroupPath, resources with { Devices = null }, out var cgWarnings, ctx.CgroupLayout);
            warnings.AddRange(cgWarnings.Select(w => "linux.resources: " + w));
            revert.Add("cgroup", () => cgroup.Delete(killProcesses: true));

            using var rootfs = new RootfsPaths(Path.IsPathRooted(spec.Root!.Path) ? spec.Root.Path : Path.Combine(bundle, spec.Root.Path));
            var env = BuildEnv(process, o.PreserveFds, out var preserve);
            foreach (var _ in spec.Mounts ?? []) { } // (mount targets are prepared by the plan builder)
            var executable = ProcessSetup.ResolveExecutable(rootfs, process.Args![0], env, process.Cwd);
            rootfs.Resolve(process.Cwd, RootfsPaths.Create.Directory);

            int Track(int fd) { fds.Add(fd); return fd; }
            var (readyRead, readyWrite) = FileCalls.Pipe();
            Track(readyRead); Track(readyWrite);
            var (releaseRead, releaseWrite) = FileCalls.Pipe();
            Track(releaseRead); Track(releaseWrite);
            var hooks = spec.Hooks;
            // prestart/createRuntime run here, in the runtime's namespaces, while the init waits at a sync point;
            // createContainer/startContainer are run by the init itself, in the container's namespaces.
            var hasRuntimeHooks = hooks?.Prestart is { Count: > 0 } || hooks?.CreateRuntime is { Count: > 0 };
            var hasCreateContainerHooks = hooks?.CreateContainer is { Count: > 0 };
            int hookSyncRead = -1, hookSyncWrite = -1, hookReleaseRead = -1, hookReleaseWrite = -1, hookOutput = -1;
            if (hasRuntimeHooks)
            {
                (hookSyncRead, hookSyncWrite) = FileCalls.Pipe();
                (hookReleaseRead, hookReleaseWrite) = FileCalls.Pipe();
                Track(hookSyncRead); Track(hookSyncWrite); Track(hookReleaseRead); Track(hookReleaseWrite);
            }
            if (hasCreateContainerHooks || hooks?.StartContainer is { Count: > 0 })
                hookOutput = Track(FileCalls.Open(Path.Combine(dir, StateStore.HookLogName), FileCalls.O_WRONLY | FileCalls.O_CREAT | FileCalls.O_APPEND, 0x180));
            Socket? console = null;
            if (process.Terminal)
            {
                console = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try { console.Connect(new UnixDomainSocketEndPoint(o.ConsoleSocket!)); }
                catch (SocketException e) { console.Dispose(); throw new OciException($"--console-socket {o.ConsoleSocket}: cannot connect: {e.Message}"); }
                revert.Add("console socket", console.Dispose);
            }
            var stateDirFd = Track(FileCalls.Open(dir, FileCalls.O_PATH | FileCalls.O_DIRECTORY));
            var joins = new Dictionary<string, int>();
            var joinPid = -1;
            foreach (var ns in (spec.Linux.Namespaces ?? []).Where(n => !string.IsNullOrEmpty(n.Path)))
            {
                var fd = Track(FileCalls.Open(ns.Path!, FileCalls.O_RDONLY));
                if (ns.Type == "pid") joinPid = fd; else joins[ns.Type] = fd;
            }

            var handover = SeccompListenerHandover.For(seccomp);
            if (handover is not null) revert.Add("seccomp listener pipes", handover.Dispose);
            var cgroupDirs = cgroup.Directories;
            var input = new InitPlanInput
            {
                Spec = spec, Bundle = bundle, Rootfs = rootfs, Executable = executable, Env = env,
                NoPivot = o.NoPivot, NoNewKeyring = o.NoNewKeyring, PreserveFds = preserve,
                StateDirFd = stateDirFd, ReadyWriteFd = readyWrite, ReleaseReadFd = releaseRead,
                HookSyncWriteFd = hookSyncWrite, HookReleaseReadFd = hookReleaseRead,
                ConsoleSocketFd = console is null ? -1 : (int)console.Handle, Stdio = o.Stdio, HookOutputFd = hookOutput,
                JoinFds = joins, JoinPidFd = joinPid, Seccomp = seccomp, SeccompHandover = handover, CgroupDirectories = cgroupDirs, CgroupLayout = ctx.CgroupLayout,
                Warnings = warnings, ParentFds = fds,
            };
            var builder = new InitPlanBuilder(input);
            using var plan = builder.Build();
            plan.ParentOnly(readyRead, releaseWrite, hookSyncRead, hookReleaseWrite);
            handover?.KeepParentEndsOutOf(plan);
            var mountIdBefore = builder.InheritsMountNamespace ? RuntimeNamespaceRootfs.TopMountId(rootfs.Root) : null;
            if (builder.InheritsMountNamespace)
                revert.Add("rootfs mounts", () =>
                {
                    if (RuntimeNamespaceRootfs.TopMountId(rootfs.Root) is { } id && id != mountIdBefore) RuntimeNamespaceRootfs.Detach(rootfs.Root, id);
                });
            var child = Spawner.Spawn(plan);
            revert.Add("container process", () =>
            {
                child.Signal(ProcessCalls.SIGKILL);
                child.Wait();
                child.Dispose();
            });
            foreach (var fd in new[] { readyWrite, releaseRead, hookSyncWrite, hookReleaseRead, hookOutput })
            {
                FileCalls.Close(fd);
                fds.Remove(fd);
            }
            console?.Dispose();
            handover?.CloseChildEnds();

            cgroup.AddProcess(child.Pid);
            string? systemdUnit = null;
            if (ctx.SystemdCgroup)
            {
                // After our own cgroup setup, as runc's systemd driver: systemd adopts the directory and the pid.
                var unit = systemdUnit = CgroupBinding.StartSystemdScope(spec, o.Id, child.Pid);
                revert.Add("systemd scope", () => CgroupBinding.StopSystemdScope(unit, ctx));
            }
            SetOomScoreAdj(child.Pid, process.OomScoreAdj, warnings);
            // Before the init goes on: its sysctls and hooks may already refer to these devices.
            Dictionary<string, string>? netDevices = null;
            if (spec.Linux.NetDevices is { Count: > 0 } wanted)
                netnsFd = NetDevices.MoveIn(netDevices = NetDevices.Names(wanted), NetDevices.NamespacePath(spec, child.Pid), revert);
            var state = new PersistedState
            {
                Id = o.Id, Bundle = bundle, Rootfs = rootfs.Root, Pid = child.Pid,
                Created = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffK"),
                Annotations = spec.Annotations, CgroupPaths = new Dictionary<string, string>(cgroupDirs), SystemdCgroup = ctx.SystemdCgroup,
                Owner = "root", SystemdUnit = systemdUnit, NetDevices = netDevices,
                JoinedNetns = NetDevices.JoinedNamespace(spec),
                HasHooks = hooks is not null && (hooks.StartContainer is { Count: > 0 } || hooks.Poststart is { Count: > 0 } || hooks.Poststop is { Count: > 0 }),
            };
            if (plan.ErrorRedirectStep is var first and >= 0)
            {
                // `start` hears of the init's later failures over the fifo: it names them with these.
                state.StartStepBase = first;
                state.StartSteps = Enumerable.Range(first, plan.StepCount - first).Select(plan.Describe).ToList();
            }
            if (hasCreateContainerHooks) WriteHookState(dir, StateStore.CreatingStateName, StateDocument(state, "creating"));
            FileCalls.WriteAll(releaseWrite, "1"u8);

            if (hasRuntimeHooks)
            {
                child.WaitForReady(hookSyncRead);
                var doc = StateDocument(state, "creating");
                HookRunner.Run(hooks!.Prestart, "prestart", doc);
                HookRunner.Run(hooks.CreateRuntime, "createRuntime", doc);
                FileCalls.WriteAll(hookReleaseWrite, "1"u8);
            }
            if (handover is not null)
            {
                handover.HandOver(child, StateDocument(state, "creating"));
                handover.Dispose();
            }
            child.WaitForReady(readyRead);
            if (resources.Devices is { } deviceRules)
                warnings.AddRange(cgroup.Apply(new CgroupResources { Devices = deviceRules }).Select(w => "linux.resources: " + w));
            if (hasCreateContainerHooks)
            {
                File.Delete(Path.Combine(dir, StateStore.CreatingStateName));
                File.WriteAllText(Path.Combine(dir, StateStore.HookLogName), ""); // startContainer hooks append to the same fd
            }

            state.PidStartTime = ProcessInfo.Read(child.Pid)?.StartTime ?? throw new OciException("the container process vanished during create");
            if (builder.InheritsMountNamespace) state.RootfsBindMountId = RuntimeNamespaceRootfs.TopMountId(rootfs.Root);
            store.Save(state);
            if (o.PidFile is not null) WritePidFile(o.PidFile, child.Pid);
            revert.Commit();
            if (netnsFd >= 0) FileCalls.Close(netnsFd);
            return child;
        }
        catch (SpawnException e)
        {
            var output = e.Step.Contains(" hook #", StringComparison.Ordinal) ? HookRunner.Output(Path.Combine(ctx.Store.DirOf(o.Id), StateStore.HookLogName)) : "";
            throw new OciException($"container init failed: {e.Message}{output}", e.AtExec ? e.ShellExitCode : 1, e);
        }
        catch (CgroupException e)
        {
            throw new OciException($"cgroup {cgroupPath}: {e.Message}", inner: e);
        }
        finally
        {
            foreach (var fd in fds) FileCalls.Close(fd);
            foreach (var f in revert.Failures) warnings.Add(f);
        }
    }

    /// <summary>The state JSON for hooks the init runs, readable by the container's (possibly unmapped) root.</summary>
    internal static void WriteHookState(string dir, string name, ContainerStateDocument doc)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(doc, OciJsonContext.Default.ContainerStateDocument));
        OciCalls.Chmod(path, 0x1a4 /* 0644 */);
    }

    /// <summary>process.env, plus LISTEN_FDS passthrough (socket activation) which also extends --preserve-fds.</summary>
    internal static List<string> BuildEnv(ProcessSpec process, int preserveFds, out int preserve)
    {
        var env = new List<string>(process.Env ?? []);
        preserve = preserveFds;
        if (Environment.GetEnvironmentVariable("LISTEN_FDS") is { } listen && int.TryParse(listen, out var n) && n > 0)
        {
            preserve = Math.Max(preserve, n);
            env.RemoveAll(e => e.StartsWith("LISTEN_FDS=", StringComparison.Ordinal) || e.StartsWith("LISTEN_PID=", StringComparison.Ordinal));
            env.Add($"LISTEN_FDS={n}");
            env.Add("LISTEN_PID=1");
        }
        return env;
    }

    /// <summary>HOST.md: without CAP_SYS_RESOURCE oom_score_adj cannot go below the runtime's own value: clamp and say so.</summary>
    internal static void SetOomScoreAdj(int pid, int? requested, List<string> warnings)
    {
        if (requested is not { } value) return;
        try { FileCalls.WriteFile($"/proc/{pid}/oom_score_adj", value.ToString()); }
        catch (SyscallException e) when (e.Errno is Errnos.EACCES or Errnos.EPERM)
        {
            var own = int.Parse(File.ReadAllText("/proc/self/oom_score_adj").Trim());
            warnings.Add($"process.oomScoreAdj: {value} is below this runtime's own {own}, and lowering it needs CAP_SYS_RESOURCE; clamped to {own}");
            FileCalls.WriteFile($"/proc/{pid}/oom_score_adj", own.ToString());
        }
    }

    internal static void WritePidFile(string path, int pid)
    {
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp");
        File.WriteAllText(tmp, pid.ToString());
        File.Move(tmp, full, overwrite: true);
    }

    public static ContainerStateDocument StateDocument(PersistedState s, string status) => new()
    {
        Id = s.Id, Status = status, Pid = status == "stopped" ? 0 : s.Pid, Bundle = s.Bundle, Annotations = s.Annotations,
    };
}

using Kapsel.Linux;
using Kapsel.Linux.Cgroups;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

/// <summary>The lifecycle operations after create: start, kill, delete, and status lookups.</summary>
public static class ContainerOps
{
    public static (PersistedState State, ContainerStatus Status) Load(RuntimeContext ctx, string id)
    {
        var store = ctx.Store;
        var state = store.Load(id);
        return (state, LiveStatus.Of(store, state));
    }

    public static ICgroup? CgroupOf(PersistedState state, CgroupLayout? layout = null)
    {
        if (state.CgroupPaths is not { Count: > 0 } paths) return null;
        try { return Cgroup.Open(paths, layout); }
        catch (Exception e) when (e is CgroupException or ArgumentException) { return null; }
    }

    /// <summary>`start`: startContainer hooks, then release the init by reading the exec fifo; poststart hooks after.</summary>
    public static void Start(RuntimeContext ctx, string id)
    {
        var store = ctx.Store;
        using var _ = store.Lock(id);
        var (state, status) = Load(ctx, id);
        if (status != ContainerStatus.Created)
            throw new OciException($"cannot start container \"{id}\": it is {LiveStatus.Name(status)}, not created");
        var spec = state.HasHooks == false ? null : store.LoadConfig(id);
        var warnings = new List<string>();
        var dir = store.DirOf(id);
        if (spec?.Hooks?.StartContainer is { Count: > 0 })
            ContainerCreator.WriteHookState(dir, StateStore.CreatedStateName, ContainerCreator.StateDocument(state, "created"));
        var fifo = Path.Combine(dir, StateStore.FifoName);
        var report = ReleaseInit(fifo, state);
        if (report.Length == 0)
            throw new OciException($"cannot start container \"{id}\": its process exited before start");
        // "0": the init passed its startContainer hooks; a failure record {step, errno} (after the "0" if execve failed).
        var ok = report[0] == (byte)'0' && report.Length % 8 == 1;
        if (!ok || report.Length >= 9)
        {
            var record = ok ? report.AsSpan(1) : report;
            var step = BitConverter.ToInt32(record[..4]);
            var err = record.Length >= 8 ? BitConverter.ToInt32(record[4..8]) : Errnos.EPIPE;
            var index = step - state.StartStepBase;
            var steps = state.StartSteps ?? [];
            var what = index >= 0 && index < steps.Count ? steps[index] : $"step {step}";
            var atExec = index == steps.Count - 1;
            var output = what.Contains(" hook #", StringComparison.Ordinal) ? HookRunner.Output(Path.Combine(dir, StateStore.HookLogName)) : "";
            var e = new SpawnException(what, err, atExec);
            WaitGone(state, 2000); // the init exits right after its report: `state` says stopped from now on
            throw new OciException($"cannot start container \"{id}\": {e.Message}{output}", atExec ? e.ShellExitCode : 1, e);
        }
        File.Delete(fifo);
        HookRunner.Run(spec?.Hooks?.Poststart, "poststart", ContainerCreator.StateDocument(state, "running"), warnings);
        foreach (var w in warnings) ctx.Warn(w);
    }

    /// <summary>
    /// Opens the exec fifo, which releases the init, and reads what it reports until EOF (its execve, or its
    /// exit). Non-blocking open: a blocking one would hang forever if the init died before opening its end.
    /// </summary>
    private static byte[] ReleaseInit(string fifo, PersistedState state)
    {
        var fd = FileCalls.Open(fifo, FileCalls.O_RDONLY | FileCalls.O_NONBLOCK);
        try
        {
            var buffer = new byte[64];
            var length = 0;
            Span<FileCalls.PollFd> p = stackalloc FileCalls.PollFd[1];
            while (length < buffer.Length)
            {
                p[0] = new FileCalls.PollFd { Fd = fd, Events = FileCalls.POLLIN };
                FileCalls.Poll(p, 100);
                if (p[0].Revents != 0)
                {
                    int n;
                    try { n = FileCalls.Read(fd, buffer.AsSpan(length)); }
                    catch (SyscallException e) when (e.Errno == Errnos.EAGAIN) { continue; }
                    if (n == 0) break; // every writer gone: execve succeeded or the init exited
                    length += n;
                }
                else if (length == 0 && !ProcessInfo.IsSame(state.Pid, state.PidStartTime))
                    break; // died before it opened the fifo
            }
            return buffer[..length];
        }
        finally { FileCalls.Close(fd); }
    }

    public static void Kill(RuntimeContext ctx, string id, int signal, bool all)
    {
        var (state, status) = Load(ctx, id);
        if (status is ContainerStatus.Stopped or ContainerStatus.Creating)
            // "container not running" is runc's wording, which containerd's shim maps to "process already finished".
            throw new OciException($"cannot kill container \"{id}\": container not running ({LiveStatus.Name(status)})");
        if (all && CgroupOf(state) is { } cg)
        {
            cg.KillAll(signal);
            if (status == ContainerStatus.Paused && signal == ProcessCalls.SIGKILL) cg.Thaw();
            return;
        }
        SignalInit(state, signal);
    }

    /// <summary>Signals the init through a pidfd opened after checking the start time, so a reused pid is never hit.</summary>
    internal static bool SignalInit(PersistedState state, int signal)
    {
        int pidfd;
        try { pidfd = ProcessCalls.PidfdOpen(state.Pid); }
        catch (SyscallException e) when (e.Errno == Errnos.ESRCH) { return false; }
        try
        {
            if (!ProcessInfo.IsSame(state.Pid, state.PidStartTime)) return false;
            ProcessCalls.PidfdSendSignal(pidfd, signal);
            return true;
        }
        catch (SyscallException e) when (e.Errno == Errnos.ESRCH) { return false; }
        finally { FileCalls.Close(pidfd); }
    }

    /// <summary>Waits until the init is gone (pidfd becomes readable on exit).</summary>
    internal static bool WaitGone(PersistedState state, int timeoutMs)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (ProcessInfo.IsSame(state.Pid, state.PidStartTime))
        {
            if (Environment.TickCount64 > deadline) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    private static void RemoveHalfCreatedCgroup(RuntimeContext ctx, string id)
    {
        try
        {
            if (ctx.Store.LoadConfig(id) is not { } spec) return;
            var cgroup = Cgroup.Open(CgroupBinding.PathFor(spec, id, ctx.SystemdCgroup), ctx.CgroupLayout);
            if (cgroup.Exists) cgroup.Delete(killProcesses: true);
        }
        catch (Exception e) when (e is CgroupException or ArgumentException or IOException or OciException or UnauthorizedAccessException)
        {
            ctx.Warn($"cgroup cleanup for half-created \"{id}\": {e.Message}");
        }
    }

    public static void Delete(RuntimeContext ctx, string id, bool force)
    {
        var store = ctx.Store;
        StateStore.CheckId(id);
        if (!Directory.Exists(store.DirOf(id)))
        {
            if (force) return; // runc: deleting a missing container with --force succeeds
            throw new OciException($"container \"{id}\" does not exist");
        }
        using var _ = store.Lock(id);
        if (!store.Exists(id))
        {
            // A create that died half-way (killed before state.json): its saved config says where its
            // cgroup is. An init already in it is killed with it; one not yet moved there ends by
            // itself (its release pipe reads EOF once the runtime is gone).
            RemoveHalfCreatedCgroup(ctx, id);
            store.Remove(id);
            return;
        }
        var (state, status) = Load(ctx, id);
        if (status is ContainerStatus.Running or ContainerStatus.Paused && !force)
            throw new OciException($"cannot delete container \"{id}\" that is not stopped: {LiveStatus.Name(status)} (use --force)");
        var cgroup = CgroupOf(state, ctx.CgroupLayout);
        if (state.NetDevices is { Count: > 0 } devices)
        {
            // While the namespace still exists: the init's own dies with it, a joined one stays.
            var netns = status != ContainerStatus.Stopped ? $"/proc/{state.Pid}/ns/net" : state.JoinedNetns;
            if (netns is not null) NetDevices.MoveAllOut(devices, netns, ctx.Warn);
        }
        if (status != ContainerStatus.Stopped)
        {
            if (cgroup is not null) { try { cgroup.KillAll(ProcessCalls.SIGKILL); } catch (Exception e) { ctx.DebugLog(e.Message); } }
            SignalInit(state, ProcessCalls.SIGKILL);
            if (status == ContainerStatus.Paused) cgroup?.Thaw();
            if (!WaitGone(state, 10_000)) throw new OciException($"container \"{id}\": process {state.Pid} did not exit after SIGKILL");
        }
        if (cgroup is not null)
        {
            try { cgroup.Delete(killProcesses: true); }
            catch (Exception e) { ctx.Warn($"cgroup cleanup for \"{id}\": {e.Message}"); }
            if (state.SystemdUnit is { } unit) CgroupBinding.StopSystemdScope(unit, ctx);
            // The default parent (/kapsel-runc) stays, empty, like Docker's /docker: removing it with the last
            // container raced with concurrent creates below it, and cost a mkdir+rmdir per hierarchy per container.
        }
        if (state.RootfsBindMountId is { } bindId) RuntimeNamespaceRootfs.Detach(state.Rootfs, bindId);
        var spec = state.HasHooks == false ? null : store.LoadConfig(id);
        var warnings = new List<string>();
        HookRunner.Run(spec?.Hooks?.Poststop, "poststop", ContainerCreator.StateDocument(state, "stopped"), warnings);
        foreach (var w in warnings) ctx.Warn(w);
        store.Remove(id);
    }

    public static ContainerStateDocument StateOf(RuntimeContext ctx, string id)
    {
        var (state, status) = Load(ctx, id);
        var doc = ContainerCreator.StateDocument(state, LiveStatus.Name(status));
        doc.Rootfs = state.Rootfs;
        doc.Created = state.Created;
        doc.Owner = state.Owner;
        return doc;
    }
}

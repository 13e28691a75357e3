using Kapsel.Engine.Monitor;
using Kapsel.Linux.Interop;

namespace Kapsel.Engine.Instances;

/// <summary>
/// Lifecycle operations on existing instances, from any kapsel process: start (detached, under a
/// monitor), stop (stop signal, then SIGKILL after the timeout), kill, wait. They act on the
/// instance's process through pidfds and learn the outcome from the state store, which the
/// owning process (monitor or foreground kapsel) writes.
/// </summary>
public sealed class InstanceControl(KapselEngine engine)
{
    /// <summary>Starts a created or stopped instance in the background; returns once it runs.</summary>
    public void Start(Instance instance)
    {
        if (IsRunning(instance)) throw new KapselException($"instance {instance.Name} is already running");
        if (instance.MonitorPid is { } monitor && ProcessAlive(monitor))
            throw new KapselException($"instance {instance.Name} is restarting under its monitor; stop it first");
        if (ProcessCalls.GetEuid() != 0)
            throw new KapselException($"the {Instance.LevelName(instance.Level)} level needs root: run kapsel as root (or with sudo)");
        engine.Instances.SetStopRequested(instance.Id, false);
        MonitorProcess.Start(engine.Paths, instance.Id);
    }

    /// <summary>
    /// Sends the stop signal (the image's StopSignal, --stop-signal, or SIGTERM), waits up to
    /// <paramref name="timeout"/>, then SIGKILL; returns once the owner recorded the exit.
    /// The restart policy does not apply to a stopped instance.
    /// </summary>
    public void Stop(Instance instance, TimeSpan? timeout = null)
    {
        engine.Instances.SetStopRequested(instance.Id, true);
        if (!IsRunning(instance)) return;
        int signal;
        try { signal = Oci.Signals.Parse(instance.Config.StopSignal ?? "SIGTERM"); }
        catch (Oci.OciException) { signal = ProcessCalls.SIGTERM; } // an image's odd StopSignal must not make it unstoppable
        var grace = timeout ?? TimeSpan.FromSeconds(instance.Config.StopTimeout);
        if (!SignalAndWait(instance.Pid!.Value, signal, grace))
            SignalAndWait(instance.Pid.Value, ProcessCalls.SIGKILL, TimeSpan.FromSeconds(10));
        WaitForOwner(instance, TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends a signal to the instance's main process. TERM/KILL/INT/QUIT count as a manual stop for the restart policy.</summary>
    public void Kill(Instance instance, int signal)
    {
        if (!IsRunning(instance)) throw new KapselException($"instance {instance.Name} is not running");
        if (signal is ProcessCalls.SIGKILL or ProcessCalls.SIGTERM or ProcessCalls.SIGINT or ProcessCalls.SIGQUIT)
            engine.Instances.SetStopRequested(instance.Id, true);
        if (!ProcessCalls.Kill(instance.Pid!.Value, signal))
            throw new KapselException($"instance {instance.Name} is not running");
    }

    /// <summary>Waits until the instance is stopped (and no restart follows); returns its exit code.</summary>
    public int Wait(Instance instance, CancellationToken cancel = default)
    {
        while (!cancel.IsCancellationRequested)
        {
            var now = engine.Instances.Get(instance.Id);
            if (now is null) return instance.ExitCode ?? 0; // removed (e.g. --rm) after it exited
            if (now.MonitorPid is { } owner && ProcessAlive(owner)) WaitForExit(owner, TimeSpan.FromSeconds(1));
            else if (now.State == InstanceState.Running && now.Pid is { } pid && ProcessAlive(pid)) WaitForExit(pid, TimeSpan.FromSeconds(1));
            else return now.ExitCode ?? 255;
            instance = now;
        }
        throw new OperationCanceledException();
    }

    /// <summary>Running according to the store, and its process is really alive.</summary>
    public static bool IsRunning(Instance instance) =>
        instance.State == InstanceState.Running && instance.Pid is { } pid && ProcessAlive(pid);

    private static bool ProcessAlive(int pid) => Directory.Exists($"/proc/{pid}");

    private static bool SignalAndWait(int pid, int signal, TimeSpan timeout)
    {
        int pidfd;
        try { pidfd = ProcessCalls.PidfdOpen(pid); }
        catch (Linux.SyscallException) { return true; } // already gone
        try
        {
            try { ProcessCalls.PidfdSendSignal(pidfd, signal); }
            catch (Linux.SyscallException e) when (e.Errno == Linux.Errnos.ESRCH) { return true; }
            return PollExit(pidfd, timeout);
        }
        finally { FileCalls.Close(pidfd); }
    }

    private static bool WaitForExit(int pid, TimeSpan timeout)
    {
        int pidfd;
        try { pidfd = ProcessCalls.PidfdOpen(pid); }
        catch (Linux.SyscallException) { return true; }
        try { return PollExit(pidfd, timeout); }
        finally { FileCalls.Close(pidfd); }
    }

    /// <summary>A pidfd polls readable once its process has exited (reaped or not).</summary>
    private static bool PollExit(int pidfd, TimeSpan timeout)
    {
        Span<FileCalls.PollFd> fds = [new FileCalls.PollFd { Fd = pidfd, Events = FileCalls.POLLIN }];
        return FileCalls.Poll(fds, (int)Math.Min(timeout.TotalMilliseconds, int.MaxValue)) > 0;
    }

    /// <summary>After the main process died: give its owner (monitor) the moment it needs to record the exit and release the network.</summary>
    private void WaitForOwner(Instance instance, TimeSpan timeout)
    {
        var now = engine.Instances.Get(instance.Id);
        if (now?.MonitorPid is { } owner && owner != Environment.ProcessId) WaitForExit(owner, timeout);
    }
}

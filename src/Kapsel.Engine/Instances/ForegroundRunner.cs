using System.Runtime.InteropServices;
using Kapsel.Engine.Drivers;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Runtime;

namespace Kapsel.Engine.Instances;

/// <summary>
/// `kapsel run` in the foreground: create the instance, start it on the caller's terminal (or a
/// pty relayed to it with -t), forward signals, wait, record the exit code, and remove it again
/// with --rm. This process owns the instance while it runs (its network, published ports, DNS).
/// Every step that made something is undone if a later one fails.
/// </summary>
public sealed class ForegroundRunner(KapselEngine engine)
{
    public int Run(RunRequest request, Action<string>? progress = null, InstanceStdio? stdio = null)
    {
        var launcher = new InstanceLauncher(engine);
        var (instance, image) = launcher.Prepare(request, progress);
        var repo = engine.Instances;
        var driver = engine.Driver(instance.Level);
        ForegroundConsole? console = null;
        IInstanceProcess process;
        try
        {
            if (instance.Config.Tty && stdio is null)
            {
                console = new ForegroundConsole(engine.Paths.RunRoot, instance.Id);
                stdio = new InstanceStdio(ConsoleSocket: console.SocketPath);
            }
            process = launcher.Launch(instance, image, stdio ?? new InstanceStdio(), engine.NetworkNotice);
            Trace.Mark("process started (exec done)");
            console?.Accept();
        }
        catch
        {
            console?.Dispose();
            launcher.Remove(instance);
            throw;
        }

        using (console)
        using (process)
        {
            instance.MarkRunning(process.Pid);
            repo.Update(instance);
            Trace.Mark("state: running");

            ExitStatus status;
            using (stdio is null || console is not null ? ForwardSignals(process) : null)
            using (console is not null ? TerminalMode.Raw(0) : null)
            {
                if (console is not null) console.Relay(resize: true);
                status = process.Wait();
            }
            Trace.Mark("process exited");
            instance.MarkExited(status.Code);
            instance.MonitorPid = null;
            try
            {
                process.Dispose(); // releases the network before the instance goes
                driver.Stopped(instance);
            }
            finally
            {
                // Whatever failed above, the exit is recorded (or the --rm instance removed): never a ghost record.
                if (request.AutoRemove) launcher.Remove(instance);
                else repo.Update(instance);
            }
            Trace.Mark("instance cleaned up");
            return status.Code;
        }
    }

    /// <summary>Ctrl-C, SIGTERM, SIGHUP and SIGQUIT go to the instance's process, not to kapsel.</summary>
    internal static IDisposable ForwardSignals(IInstanceProcess process)
    {
        var registrations = new List<PosixSignalRegistration>();
        foreach (var (signal, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
        {
            registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
            {
                ctx.Cancel = true;
                try { process.Signal(number); } catch (Linux.SyscallException) { /* already gone */ }
            }));
        }
        return new Registrations(registrations);
    }

    private sealed class Registrations(List<PosixSignalRegistration> list) : IDisposable
    {
        public void Dispose() => list.ForEach(r => r.Dispose());
    }
}

using System.Text;
using Kapsel.Engine.Drivers;
using Kapsel.Engine.Instances;
using Kapsel.Linux.Interop;
using Kapsel.Oci.Runtime;

namespace Kapsel.Engine.Monitor;

/// <summary>
/// The light per-instance monitor of a detached instance (Podman's conmon, in-process): a kapsel
/// process in its own session that starts the instance's main process as its child, owns what
/// lives as long as it runs (network session, published-port forwarders, a share of the DNS),
/// copies its output into the log, reaps it, records the exit code, applies the restart policy,
/// and removes the instance on exit with --rm. It reports "ok" or the one-line error on
/// <c>readyFd</c> once the first start succeeded or failed, so `run -d`/`start` can answer.
/// </summary>
public sealed class InstanceMonitor(KapselEngine engine, string instanceId)
{
    public const string LogFileName = "ctr.log";

    public int Run(int readyFd)
    {
        var ready = readyFd;
        var repo = engine.Instances;
        var launcher = new InstanceLauncher(engine);
        var instance = repo.Get(instanceId) ?? throw new KapselException($"no such instance: {instanceId}");
        var image = engine.Images.Resolve(instance.Image);
        var driver = engine.Driver(instance.Level);
        var backoff = TimeSpan.FromMilliseconds(100);
        using var log = new LogWriter(LogPath(engine.Paths, instance.Id), instance.Config.LogMaxSize, instance.Config.LogMaxFiles);

        while (true)
        {
            int exitCode;
            var started = DateTimeOffset.UtcNow;
            try { exitCode = RunOnce(instance, image, launcher, driver, log, ref ready); }
            catch (Exception e) when (ready >= 0)
            {
                Report(ref ready, "error " + e.Message.ReplaceLineEndings(" "), e is CommandNotRunnableException c ? c.ExitCode : 125);
                instance.State = InstanceState.Stopped;
                instance.MonitorPid = null;
                repo.Update(instance);
                return 125;
            }
            catch (Exception e)
            {
                // A restart that failed: recorded like an exit, the policy decides again.
                log.WriteLine("stderr", Encoding.UTF8.GetBytes($"kapsel: restart failed: {e.Message}"), false);
                exitCode = 125;
            }

            var now = repo.Get(instanceId);
            if (now is null) return 0; // removed meanwhile (rm -f)
            instance.StopRequested = now.StopRequested;
            instance.MarkExited(exitCode);
            if (DateTimeOffset.UtcNow - started > TimeSpan.FromSeconds(10)) backoff = TimeSpan.FromMilliseconds(100); // it ran well: back-off starts over
            if (instance.Config.Restart.ShouldRestart(exitCode, instance.RestartCount, instance.StopRequested))
            {
                instance.RestartCount++;
                instance.State = InstanceState.Restarting;
                repo.Update(instance);
                Thread.Sleep(backoff); // Docker's back-off: doubling from 100 ms, capped
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 60_000));
                if (repo.Get(instanceId) is { StopRequested: false }) continue;
                instance.State = InstanceState.Stopped; // stopped (or removed) during the back-off
            }
            instance.MonitorPid = null;
            if (repo.Get(instanceId) is null) return 0;
            if (instance.AutoRemove) launcher.Remove(instance);
            else repo.Update(instance);
            return 0;
        }
    }

    public static string LogPath(KapselPaths paths, string id) => Path.Combine(paths.InstanceDir(id), LogFileName);

    /// <summary>One start of the main process, until it exits; returns its exit code.</summary>
    private int RunOnce(Instance instance, Images.LocalImage image, InstanceLauncher launcher, IInstanceDriver driver, LogWriter log, ref int ready)
    {
        var fds = new List<int>();
        ForegroundConsole? console = null;
        AttachServer? attach = null;
        var stdinWrite = -1;
        IInstanceProcess process;
        var pumps = new List<Thread>();
        try
        {
            InstanceStdio stdio;
            var devNull = FileCalls.Open("/dev/null", FileCalls.O_RDWR);
            fds.Add(devNull);
            if (instance.Config.Tty)
            {
                console = new ForegroundConsole(engine.Paths.RunRoot, instance.Id);
                stdio = new InstanceStdio(devNull, devNull, devNull, console.SocketPath);
            }
            else
            {
                var stdin = devNull;
                if (instance.Config.Interactive)
                {
                    // -i: the instance reads a pipe that attached clients write to.
                    (stdin, stdinWrite) = FileCalls.Pipe();
                    fds.Add(stdin);
                }
                attach = new AttachServer(AttachServer.PathFor(engine.Paths, instance.Id), stdinWrite);
                var (outR, outW) = FileCalls.Pipe();
                var (errR, errW) = FileCalls.Pipe();
                fds.AddRange([outW, errW]);
                stdio = new InstanceStdio(stdin, outW, errW);
                pumps.Add(StartPump(log, outR, "stdout", tee: attach.Broadcast));
                pumps.Add(StartPump(log, errR, "stderr", tee: attach.Broadcast));
            }
            try
            {
                process = launcher.Launch(instance, image, stdio, warning => log.WriteLine("stderr", Encoding.UTF8.GetBytes("kapsel: " + warning), false));
                console?.Accept();
            }
            finally
            {
                foreach (var fd in fds) FileCalls.Close(fd); // the container holds its own copies now
                fds.Clear();
            }
            if (console is not null)
            {
                attach = new AttachServer(AttachServer.PathFor(engine.Paths, instance.Id), console.Master);
                pumps.Add(StartPump(log, console.Master, "stdout", closeAfter: false, tee: attach.Broadcast)); // the console owns it
            }
        }
        catch
        {
            foreach (var fd in fds) FileCalls.Close(fd);
            if (stdinWrite >= 0) FileCalls.Close(stdinWrite);
            attach?.Dispose();
            console?.Dispose();
            foreach (var t in pumps) t.Join();
            throw;
        }

        using (console)
        using (attach)
        using (process)
        {
            instance.MarkRunning(process.Pid);
            engine.Instances.Update(instance);
            Report(ref ready, "ok", 0);

            var status = process.Wait();
            foreach (var t in pumps) t.Join(TimeSpan.FromSeconds(5));
            if (stdinWrite >= 0) FileCalls.Close(stdinWrite);
            process.Dispose(); // network session first
            driver.Stopped(instance);
            return status.Code;
        }
    }

    private static Thread StartPump(LogWriter log, int fd, string stream, bool closeAfter = true, Action<ReadOnlySpan<byte>>? tee = null)
    {
        var t = new Thread(() =>
        {
            try { log.Pump(fd, stream, tee); }
            finally { if (closeAfter) FileCalls.Close(fd); }
        }) { IsBackground = true, Name = $"log {stream}" };
        t.Start();
        return t;
    }

    /// <summary>"ok" or "error CODE MESSAGE" once, then the pipe is closed so the waiting CLI returns.</summary>
    private static void Report(ref int ready, string message, int code)
    {
        if (ready < 0) return;
        var text = message == "ok" ? "ok\n" : $"error {code} {message["error ".Length..]}\n";
        try { FileCalls.WriteAll(ready, Encoding.UTF8.GetBytes(text)); }
        catch (Linux.SyscallException) { /* the CLI went away; the instance runs on */ }
        FileCalls.Close(ready);
        ready = -1;
    }
}

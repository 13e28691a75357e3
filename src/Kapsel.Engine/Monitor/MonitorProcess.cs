using System.Collections;
using System.Text;
using Kapsel.Linux.Cgroups;
using Kapsel.Linux.DBus;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Engine.Monitor;

/// <summary>
/// Starts the monitor of a detached instance: this kapsel executable again, as
/// `kapsel --root R --run-root RR __monitor ID`, through the one spawn path, in a session of its
/// own with /dev/null as stdin and its diagnostics in INSTANCE/monitor.log; then waits for its
/// report on a pipe (fd 3 in the monitor), so the caller learns whether the start worked.
/// The monitor also leaves the cgroup of the kapsel that started it (see <see cref="MoveToOwnCgroup"/>).
/// </summary>
public static class MonitorProcess
{
    public const string CommandName = "__monitor";
    public const int ReadyFd = 3;
    /// <summary>Where monitors live on hosts without systemd (one cgroup for all, like the /kapsel parent it sits in).</summary>
    public const string SharedCgroup = "/kapsel/monitors";

    /// <summary>Returns the monitor's pid once the instance runs; throws with the monitor's own message if it did not start.</summary>
    public static int Start(KapselPaths paths, string instanceId)
    {
        var exe = System.Environment.ProcessPath ?? throw new KapselException("cannot find the kapsel executable to start the monitor");
        var (readyRead, readyWrite) = FileCalls.Pipe();
        SpawnedProcess monitor;
        try
        {
            using var plan = new SpawnPlan();
            plan.Setsid();
            plan.OpenTo("/dev/null", FileCalls.O_RDWR, 0, 0);
            plan.OpenTo(Path.Combine(paths.InstanceDir(instanceId), "monitor.log"), FileCalls.O_WRONLY | FileCalls.O_CREAT | FileCalls.O_APPEND, 0x1a4 /* 0644 */, 2);
            plan.Dup(2, 1);
            plan.Dup(readyWrite, ReadyFd);
            plan.CloseOnExecFrom(ReadyFd + 1);
            plan.Execve(exe, [exe, "--root", paths.Root, "--run-root", paths.RunRoot, CommandName, instanceId], CurrentEnvironment());
            monitor = Spawner.Spawn(plan);
        }
        finally { FileCalls.Close(readyWrite); }
        MoveToOwnCgroup(monitor.Pid, instanceId, Path.Combine(paths.InstanceDir(instanceId), "monitor.log"));

        using (monitor)
        {
            string report;
            try { report = ReadAll(readyRead).Trim(); }
            finally { FileCalls.Close(readyRead); }
            if (report == "ok") return monitor.Pid;
            // "error CODE MESSAGE" from the monitor, or nothing if it died first.
            if (report.StartsWith("error ", StringComparison.Ordinal) && report.Split(' ', 3) is [_, var code, var message])
            {
                monitor.Wait();
                var exitCode = int.Parse(code);
                throw exitCode is 126 or 127 ? new Drivers.CommandNotRunnableException(message, exitCode) : new KapselException(message);
            }
            var status = monitor.Wait();
            var logFile = Path.Combine(paths.InstanceDir(instanceId), "monitor.log");
            var last = File.Exists(logFile) ? File.ReadLines(logFile).LastOrDefault(l => l.StartsWith("kapsel:", StringComparison.Ordinal)) : null;
            throw new KapselException($"the instance monitor exited ({status}) before the instance started{(last is null ? "" : ": " + last["kapsel: ".Length..])}");
        }
    }

    /// <summary>
    /// A monitor must outlive the kapsel command that started it and whatever cgroup that command ran
    /// in — a login session's scope, a CI job, a service unit that is stopped with its control group.
    /// On a systemd host it gets a transient scope of its own (kapsel-monitor-ID.scope in
    /// system.slice, gone when it exits), as Podman does for conmon; elsewhere it joins
    /// <see cref="SharedCgroup"/>. The instance itself already has its own cgroup. Best effort: a
    /// failure is noted in monitor.log, the instance runs anyway.
    /// </summary>
    private static void MoveToOwnCgroup(int pid, string instanceId, string logFile)
    {
        try
        {
            if (SystemdManager.IsRunning)
            {
                using var bus = DBusConnection.Open();
                SystemdManager.StartTransientScope(bus, $"kapsel-monitor-{instanceId[..12]}.scope", "system.slice", [pid],
                    $"kapsel monitor of instance {instanceId[..12]}");
            }
            else Cgroup.Create(SharedCgroup).AddProcess(pid);
        }
        catch (Exception e) when (e is DBusException or CgroupException or Linux.SyscallException or IOException)
        {
            try { File.AppendAllText(logFile, $"kapsel: warning: the monitor stays in its starter's cgroup: {e.Message}\n"); }
            catch (IOException) { }
        }
    }

    private static string ReadAll(int fd)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        int n;
        while ((n = FileCalls.Read(fd, buffer)) > 0) text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        return text.ToString();
    }

    private static List<string> CurrentEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}").ToList();
}

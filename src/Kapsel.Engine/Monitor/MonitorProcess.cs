using System.Collections;
using System.Text;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Engine.Monitor;

/// <summary>
/// Starts the monitor of a detached instance: this kapsel executable again, as
/// `kapsel --root R --run-root RR __monitor ID`, through the one spawn path, in a session of its
/// own with /dev/null as stdin and its diagnostics in INSTANCE/monitor.log; then waits for its
/// report on a pipe (fd 3 in the monitor), so the caller learns whether the start worked.
/// </summary>
public static class MonitorProcess
{
    public const string CommandName = "__monitor";
    public const int ReadyFd = 3;

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

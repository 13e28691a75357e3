using System.Text;
using System.Text.Json;
using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// Runs lifecycle hooks (config.md#posix-platform-hooks): the container state JSON on stdin, the
/// hook's own env only, args[0] as argv[0] (Docker's hook is /proc/PID/exe with argv[0]
/// "libnetwork-setkey"), and an optional timeout in seconds after which the hook is killed.
/// This runs prestart, createRuntime, poststart and poststop, which the spec places in the runtime's
/// namespaces; spawned through the native trampoline (no .NET Process machinery: threads, SIGCHLD
/// handler). createContainer and startContainer hooks belong in the container's namespaces: the
/// container's init runs those itself (<see cref="InitPlanBuilder"/>, a run step of the spawn plan).
/// </summary>
internal static class HookRunner
{
    public static void Run(IReadOnlyList<HookSpec>? hooks, string phase, ContainerStateDocument state, List<string>? warnings = null)
    {
        if (hooks is null || hooks.Count == 0) return;
        var json = JsonSerializer.Serialize(state, OciJsonContext.Default.ContainerStateDocument);
        for (var i = 0; i < hooks.Count; i++)
        {
            try { RunOne(hooks[i], json); }
            catch (Exception e) when (e is OciException or SyscallException or SpawnException or TimeoutException)
            {
                var message = $"{phase} hook #{i} ({hooks[i].Path}) failed: {e.Message}";
                if (warnings is null) throw new OciException(message, inner: e);
                warnings.Add(message);
            }
        }
    }

    private static void RunOne(HookSpec hook, string stateJson)
    {
        var (inRead, inWrite) = FileCalls.Pipe();
        var (outRead, outWrite) = FileCalls.Pipe();
        SpawnedProcess? child = null;
        try
        {
            using (var plan = new SpawnPlan())
            {
                plan.Dup(inRead, 0).Dup(outWrite, 1).Dup(outWrite, 2).CloseOnExecFrom(3);
                plan.Execve(hook.Path, hook.Args is { Count: > 0 } args ? args : [hook.Path], hook.Env ?? []);
                child = Spawner.Spawn(plan);
            }
            FileCalls.Close(inRead); inRead = -1;
            FileCalls.Close(outWrite); outWrite = -1;
            child.WaitForExec();
            // The state is small (< pipe buffer): the write cannot block even if the hook never reads it.
            try { FileCalls.WriteAll(inWrite, Encoding.UTF8.GetBytes(stateJson)); }
            catch (SyscallException e) when (e.Errno == Errnos.EPIPE) { }
            FileCalls.Close(inWrite); inWrite = -1;

            var output = ReadUntilExit(child, outRead, hook.Timeout is > 0 ? hook.Timeout.Value * 1000L : -1);
            if (output is null)
            {
                child.Signal(ProcessCalls.SIGKILL);
                child.Wait();
                throw new TimeoutException($"timed out after {hook.Timeout} s (killed)");
            }
            var status = child.Wait();
            if (status.Code != 0 || status.Signal != 0)
                throw new OciException($"{(status.Signal != 0 ? $"killed by signal {status.Signal}" : $"exit status {status.Code}")}: {output.Trim()}");
        }
        finally
        {
            foreach (var fd in new[] { inRead, inWrite, outRead, outWrite }) FileCalls.Close(fd);
            child?.Dispose();
        }
    }

    /// <summary>What hooks run by the init wrote to hooks.log (last 4 KiB), as an error message suffix.</summary>
    internal static string Output(string logPath)
    {
        try
        {
            var text = File.ReadAllText(logPath).Trim();
            if (text.Length > 4096) text = "…" + text[^4096..];
            return text.Length == 0 ? "" : ": " + text;
        }
        catch (IOException) { return ""; }
    }

    /// <summary>Collects the hook's output until it exits; null on timeout. A daemon the hook left holding the pipe does not block us.</summary>
    private static string? ReadUntilExit(SpawnedProcess child, int outFd, long timeoutMs)
    {
        var output = new StringBuilder();
        var deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        Span<FileCalls.PollFd> fds = stackalloc FileCalls.PollFd[2];
        Span<byte> buffer = stackalloc byte[4096];
        var outOpen = true;
        while (true)
        {
            var left = deadline - Environment.TickCount64;
            if (left <= 0) return null;
            fds[0] = new FileCalls.PollFd { Fd = outOpen ? outFd : -1, Events = FileCalls.POLLIN };
            fds[1] = new FileCalls.PollFd { Fd = child.PidFd, Events = FileCalls.POLLIN };
            FileCalls.Poll(fds, (int)Math.Min(left, int.MaxValue));
            if (outOpen && fds[0].Revents != 0)
            {
                var n = FileCalls.Read(outFd, buffer);
                if (n <= 0) outOpen = false;
                else if (output.Length < 64 * 1024) output.Append(Encoding.UTF8.GetString(buffer[..n]));
            }
            if (fds[1].Revents != 0) return output.ToString();
        }
    }
}

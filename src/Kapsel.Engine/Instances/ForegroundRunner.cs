using System.Runtime.InteropServices;
using Kapsel.Engine.Drivers;
using Kapsel.Images;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Engine.Instances;

/// <summary>
/// `kapsel run` in the foreground: create the instance, start it on the caller's terminal,
/// forward signals, wait, record the exit code, and remove it again with --rm. Every step that
/// made something is undone if a later one fails.
/// </summary>
public sealed class ForegroundRunner(KapselEngine engine)
{
    private static readonly string[] DefaultEnv =
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"];

    public int Run(RunRequest request, Action<string>? progress = null, InstanceStdio? stdio = null)
    {
        if (ProcessCalls.GetEuid() != 0)
            throw new KapselException($"the {Instance.LevelName(request.Level)} level needs root: run kapsel as root (or with sudo)");
        if (request.Name is { } n && !InstanceNames.IsValid(n))
            throw new KapselException($"invalid instance name \"{n}\": use letters, digits, '_', '.', '-', starting with a letter or digit");

        Trace.Mark("run: start");
        var driver = engine.Driver(request.Level);
        var image = request.ResolvedImage ?? engine.Images.Resolve(request.Image, progress);
        Trace.Mark("image resolved");
        var instance = new Instance
        {
            Id = InstanceNames.NewId(),
            Name = request.Name ?? InstanceNames.Generate(),
            Level = request.Level,
            Image = image.DisplayName,
            Command = image.Defaults.Command(request.Command),
            Env = BuildEnv(image.Defaults.Env, request.Env),
            WorkingDir = request.WorkingDir ?? image.Defaults.WorkingDir ?? "/",
            User = request.User ?? image.Defaults.User,
            State = InstanceState.Created,
            AutoRemove = request.AutoRemove,
            Created = DateTimeOffset.UtcNow,
        };

        var repo = engine.Instances;
        Trace.Mark("state store open");
        repo.Add(instance);
        Trace.Mark("instance recorded");
        IInstanceProcess process;
        try
        {
            driver.Create(instance, image);
            Trace.Mark("instance created");
            process = driver.Start(instance, image, stdio ?? new InstanceStdio());
            Trace.Mark("process started (exec done)");
        }
        catch (Exception e)
        {
            driver.Delete(instance);
            repo.Remove(instance.Id);
            if (e is SpawnException { AtExec: true } se)
                throw new CommandNotRunnableException($"\"{instance.Command[0]}\": {Linux.Errnos.Describe(se.Errno)}", se.ShellExitCode);
            throw;
        }

        using (process)
        {
            instance.State = InstanceState.Running;
            instance.Pid = process.Pid;
            instance.Started = DateTimeOffset.UtcNow;
            repo.Update(instance);
            Trace.Mark("state: running");

            ExitStatus status;
            using (stdio is null ? ForwardSignals(process) : null)
                status = process.Wait();

            Trace.Mark("process exited");
            instance.State = InstanceState.Stopped;
            instance.ExitCode = status.Code;
            instance.Finished = DateTimeOffset.UtcNow;
            if (request.AutoRemove)
            {
                driver.Delete(instance);
                repo.Remove(instance.Id);
            }
            else repo.Update(instance);
            Trace.Mark("instance cleaned up");
            return status.Code;
        }
    }

    /// <summary>Defaults, then the image's Env, then TERM for a terminal, then -e values: later wins.</summary>
    private static List<string> BuildEnv(IReadOnlyList<string> imageEnv, IReadOnlyList<string>? requested)
    {
        var env = new List<string>(DefaultEnv);
        var extra = new List<string>(imageEnv);
        if (Environment.GetEnvironmentVariable("TERM") is { } term && !Console.IsOutputRedirected) extra.Add($"TERM={term}");
        foreach (var e in extra.Concat(requested ?? []))
        {
            var key = e.Split('=', 2)[0];
            env.RemoveAll(x => x.Split('=', 2)[0] == key);
            env.Add(e);
        }
        return env;
    }

    /// <summary>Ctrl-C, SIGTERM, SIGHUP and SIGQUIT go to the instance's process, not to kapsel.</summary>
    private static IDisposable ForwardSignals(IInstanceProcess process)
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

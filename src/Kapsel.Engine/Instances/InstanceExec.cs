using Kapsel.Engine.Drivers;
using Kapsel.Linux.Interop;
using Kapsel.Oci;
using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;

namespace Kapsel.Engine.Instances;

/// <summary>What `exec` asks for: the command and how it differs from the instance's main process.</summary>
public sealed record ExecRequest(IReadOnlyList<string> Command, IReadOnlyList<string> Env, string? WorkingDir, string? User, bool Tty, bool Detach);

/// <summary>
/// `exec`: a further process in a running container instance, through the OCI runtime's exec
/// (it joins the instance's namespaces and cgroup) with the instance's own capabilities, seccomp
/// profile, environment and user unless the request says otherwise. With a terminal, the pty is
/// relayed to the caller's terminal in raw mode.
/// </summary>
public sealed class InstanceExec(KapselEngine engine)
{
    public int Exec(Instance instance, ExecRequest request)
    {
        if (instance.Level == InstanceLevel.Chroot)
            throw new KapselException("exec is not available at the chroot level: it has no namespaces of its own to join");
        if (!InstanceControl.IsRunning(instance)) throw new KapselException($"instance {instance.Name} is not running");
        var runtime = new RuntimeContext { Root = engine.Paths.OciRuntimeRoot, Out = TextWriter.Null, Err = Console.Error };
        var main = runtime.Store.LoadConfig(instance.Id)?.Process
            ?? throw new KapselException($"instance {instance.Name} has no runtime state; is it running?");

        var user = request.User is null ? main.User : ToUserSpec(ContainerUser.Resolve($"/proc/{instance.Pid}/root", request.User));
        var env = new List<string>(main.Env ?? []);
        foreach (var e in request.Env)
        {
            var key = e.Split('=', 2)[0];
            env.RemoveAll(x => x.Split('=', 2)[0] == key);
            env.Add(e);
        }
        if (request.Tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal)))
            env.Add($"TERM={Environment.GetEnvironmentVariable("TERM") ?? "xterm"}");
        var process = new ProcessSpec
        {
            Args = [.. request.Command],
            Env = env,
            Cwd = request.WorkingDir ?? main.Cwd,
            User = user,
            Capabilities = main.Capabilities,
            NoNewPrivileges = main.NoNewPrivileges,
            Rlimits = main.Rlimits,
            Terminal = request.Tty,
        };

        ForegroundConsole? console = null;
        Thread? relay = null;
        IDisposable? raw = null;
        try
        {
            if (request.Tty)
            {
                console = new ForegroundConsole(engine.Paths.RunRoot, $"{instance.Id}-exec-{Environment.ProcessId}");
                var c = console;
                raw = TerminalMode.Raw(0);
                relay = new Thread(() =>
                {
                    try { c.Accept(); c.Relay(resize: true); }
                    catch (Exception) { /* the exec failed before sending its terminal */ }
                }) { IsBackground = true, Name = "exec console" };
                relay.Start();
            }
            var options = new ExecOptions { Id = instance.Id, Process = process, Detach = request.Detach, ConsoleSocket = console?.SocketPath };
            try { return ExecRunner.Exec(runtime, options); }
            catch (OciException e) when (e.ExitCode is 126 or 127) { throw new CommandNotRunnableException(e.Message, e.ExitCode); }
            catch (OciException e) { throw new KapselException(e.Message, e); }
        }
        finally
        {
            relay?.Join(TimeSpan.FromSeconds(2));
            raw?.Dispose();
            console?.Dispose();
        }
    }

    private static UserSpec ToUserSpec(ContainerUser u) =>
        new() { Uid = u.Uid, Gid = u.Gid, AdditionalGids = u.AdditionalGids.Count > 0 ? [.. u.AdditionalGids] : null };
}

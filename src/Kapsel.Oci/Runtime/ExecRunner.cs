using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kapsel.Linux;
using Kapsel.Linux.Fs;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

public sealed class ExecOptions
{
    public required string Id { get; init; }
    public required ProcessSpec Process { get; init; }
    public bool Detach { get; init; }
    public string? PidFile { get; init; }
    public string? ConsoleSocket { get; init; }
    public int PreserveFds { get; init; }
}

/// <summary>
/// `exec`: a new process inside a running container — setns into each of its namespaces (user
/// first, so the others are owned by a namespace we hold capabilities in; pid through the
/// Spawner), joined to its cgroup before it runs, then the same process setup as the init.
/// </summary>
public static class ExecRunner
{
    private static readonly (string Proc, string Type)[] Namespaces =
        [("user", "user"), ("ipc", "ipc"), ("uts", "uts"), ("net", "network"), ("cgroup", "cgroup"), ("time", "time"), ("mnt", "mount")];

    public static int Exec(RuntimeContext ctx, ExecOptions o)
    {
        var warnings = new List<string>();
        try { return ExecCore(ctx, o, warnings); }
        finally { ctx.WarnAll(warnings); }
    }

    private static int ExecCore(RuntimeContext ctx, ExecOptions o, List<string> warnings)
    {
        var (state, status) = ContainerOps.Load(ctx, o.Id);
        if (status is not (ContainerStatus.Running or ContainerStatus.Created))
            throw new OciException($"cannot exec in container \"{o.Id}\": it is {LiveStatus.Name(status)}");
        var process = o.Process;
        SpecValidator.ValidateProcess(process, warnings);
        if (process.Terminal && o.ConsoleSocket is null)
            throw new OciException("exec: a terminal needs --console-socket");
        var spec = ctx.Store.LoadConfig(o.Id);
        var seccomp = SeccompBinding.Compile(spec?.Linux?.Seccomp, warnings);
        var pid = state.Pid;

        var fds = new List<int>();
        Socket? console = null;
        try
        {
            int Track(int fd) { fds.Add(fd); return fd; }
            var joins = new List<(string Type, int Fd)>();
            var pidNs = -1;
            foreach (var (proc, type) in Namespaces.Append(("pid", "pid")))
            {
                var path = $"/proc/{pid}/ns/{proc}";
                if (!File.Exists(path) || SameNamespace(path, $"/proc/self/ns/{proc}")) continue;
                var fd = Track(FileCalls.Open(path, FileCalls.O_RDONLY));
                if (type == "pid") pidNs = fd; else joins.Add((type, fd));
            }
            using var rootfs = new RootfsPaths($"/proc/{pid}/root");
            var env = ContainerCreator.BuildEnv(process, o.PreserveFds, out var preserve);
            var executable = ProcessSetup.ResolveExecutable(rootfs, process.Args![0], env, process.Cwd);
            var (releaseRead, releaseWrite) = FileCalls.Pipe();
            Track(releaseRead); Track(releaseWrite);
            if (process.Terminal)
            {
                console = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try { console.Connect(new UnixDomainSocketEndPoint(o.ConsoleSocket!)); }
                catch (SocketException e) { throw new OciException($"--console-socket {o.ConsoleSocket}: cannot connect: {e.Message}"); }
            }

            using var handover = SeccompListenerHandover.For(seccomp);
            using var plan = new SpawnPlan { JoinPidNamespaceFd = pidNs };
            plan.ParentOnly(releaseWrite);
            handover?.KeepParentEndsOutOf(plan);
            handover?.PlaceIn(plan);
            plan.Prctl("PR_SET_DUMPABLE, 0", PrctlCalls.PR_SET_DUMPABLE, 0);
            plan.Dup(releaseRead, ChildFds.Release);
            if (console is not null) plan.Dup((int)console.Handle, ChildFds.ConsoleSocket);
            for (var i = 0; i < joins.Count; i++) plan.Dup(joins[i].Fd, ChildFds.NamespaceBase + i);
            plan.WaitByte("wait for the runtime to join the cgroup", ChildFds.Release);
            AppArmor.OpenExecAttribute(plan, process.ApparmorProfile); // before the container's /proc is in view
            for (var i = 0; i < joins.Count; i++)
                plan.Setns(ChildFds.NamespaceBase + i, InitPlanBuilder.CloneFlagOf(joins[i].Type), $"container {joins[i].Type} namespace");
            // A container without a mount namespace of its own is chrooted: follow its root, whichever
            // mount namespace this exec came from.
            if (state.RootfsBindMountId is not null) plan.Chroot($"/proc/{pid}/root");
            plan.ChdirInContainer(process.Cwd);
            if (console is not null)
            {
                plan.OpenTo("/dev/ptmx", FileCalls.O_RDWR | FileCalls.O_NOCTTY | FileCalls.O_CLOEXEC, 0, ChildFds.PtyMaster);
                plan.IoctlInt("TIOCSPTLCK 0", ChildFds.PtyMaster, PlanSteps.TIOCSPTLCK, 0);
                plan.Ioctl("TIOCGPTPEER", ChildFds.PtyMaster, PlanSteps.TIOCGPTPEER, FileCalls.O_RDWR | FileCalls.O_NOCTTY, resultTargetFd: ChildFds.PtySlave);
                if (process.ConsoleSize is { } size) plan.SetWindowSize(ChildFds.PtySlave, size.Height, size.Width);
                plan.SendFd(ChildFds.ConsoleSocket, ChildFds.PtyMaster, "/dev/ptmx");
                plan.Close(ChildFds.PtyMaster).Close(ChildFds.ConsoleSocket);
                plan.Setsid();
                plan.Ioctl("TIOCSCTTY", ChildFds.PtySlave, PlanSteps.TIOCSCTTY, 0);
                plan.Dup(ChildFds.PtySlave, 0).Dup(ChildFds.PtySlave, 1).Dup(ChildFds.PtySlave, 2).Close(ChildFds.PtySlave);
            }
            ProcessSetup.AddLimits(plan, process, warnings);
            plan.CloseOnExecFrom(3 + preserve); // before seccomp, as in the init's plan
            plan.RefuseMagicLinkExecutable(executable);
            if (!process.NoNewPrivileges) ProcessSetup.AddSeccomp(plan, seccomp);
            ProcessSetup.AddIdentity(plan, process, warnings);
            var lateSeccomp = ProcessSetup.AddEarlySeccompForListener(plan, process, seccomp);
            ProcessSetup.AddExec(plan, process, lateSeccomp, executable, env);

            var child = Spawner.Spawn(plan);
            FileCalls.Close(releaseRead);
            fds.Remove(releaseRead);
            console?.Dispose();
            console = null;
            handover?.CloseChildEnds();
            try
            {
                if (ContainerOps.CgroupOf(state) is { } cg) cg.AddProcess(child.Pid);
                ContainerCreator.SetOomScoreAdj(child.Pid, process.OomScoreAdj, warnings);
                FileCalls.WriteAll(releaseWrite, "1"u8);
                handover?.HandOver(child, ContainerCreator.StateDocument(state, LiveStatus.Name(status)));
                child.WaitForExec();
            }
            catch (SpawnException e)
            {
                child.Dispose();
                throw new OciException($"exec failed: {e.Message}", e.AtExec ? e.ShellExitCode : 1, e);
            }
            catch
            {
                child.Signal(ProcessCalls.SIGKILL);
                child.Wait();
                child.Dispose();
                throw;
            }
            if (o.PidFile is not null) ContainerCreator.WritePidFile(o.PidFile, child.Pid);
            using (child)
            {
                if (o.Detach) return 0;
                using var forward = SignalForwarding.To(sig => child.Signal(sig));
                return child.Wait().Code;
            }
        }
        finally
        {
            console?.Dispose();
            foreach (var fd in fds) FileCalls.Close(fd);
        }
    }

    private static bool SameNamespace(string a, string b)
    {
        try { return OciInteropLink(a) == OciInteropLink(b); }
        catch (SyscallException) { return false; }
    }

    private static string OciInteropLink(string path) => FileCalls.ReadLink(path);
}

/// <summary>Forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT (and friends) received by the runtime to a container process.</summary>
internal sealed class SignalForwarding : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    public static SignalForwarding To(Action<int> send)
    {
        var f = new SignalForwarding();
        foreach (var (posix, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3) })
            f._registrations.Add(PosixSignalRegistration.Create(posix, c =>
            {
                c.Cancel = true;
                try { send(number); } catch (SyscallException) { }
            }));
        return f;
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}

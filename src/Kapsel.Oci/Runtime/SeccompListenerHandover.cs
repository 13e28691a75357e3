using System.Net.Sockets;
using System.Text.Json;
using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Interop;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// SCMP_ACT_NOTIFY: the kernel gives the seccomp listener fd to the process that installs the
/// filter — the container's init, or an exec'd process — just before its execve. That process
/// stops at a sync point while the runtime copies the fd out of it (pidfd_getfd) and hands it,
/// with the container process state, to the agent listening on linux.seccomp.listenerPath
/// (SCM_RIGHTS, as runc does); then the process closes its own copy and goes on.
/// </summary>
internal sealed class SeccompListenerHandover : IDisposable
{
    private readonly CompiledFilter _filter;
    private int _syncRead, _syncWrite, _releaseRead, _releaseWrite;

    private SeccompListenerHandover(CompiledFilter filter)
    {
        _filter = filter;
        (_syncRead, _syncWrite) = FileCalls.Pipe();
        (_releaseRead, _releaseWrite) = FileCalls.Pipe();
    }

    /// <summary>Null unless the filter has SCMP_ACT_NOTIFY rules.</summary>
    public static SeccompListenerHandover? For(CompiledFilter? filter) =>
        filter?.ListenerPath is null ? null : new SeccompListenerHandover(filter);

    /// <summary>Gives the child its ends of the two sync pipes (steps at the start of its plan).</summary>
    public void PlaceIn(SpawnPlan plan)
    {
        plan.Dup(_syncWrite, ChildFds.SeccompSync);
        plan.Dup(_releaseRead, ChildFds.SeccompRelease);
    }

    /// <summary>The runtime's ends are closed in the child first thing (so EOF tells the child if the runtime dies).</summary>
    public void KeepParentEndsOutOf(SpawnPlan plan) => plan.ParentOnly(_syncRead, _releaseWrite);

    /// <summary>After the spawn: the child holds its ends, so EOF tells us if it dies.</summary>
    public void CloseChildEnds()
    {
        Close(ref _syncWrite);
        Close(ref _releaseRead);
    }

    /// <summary>Waits for the child's listener, sends it to the agent, lets the child go on.</summary>
    public void HandOver(SpawnedProcess child, ContainerStateDocument state)
    {
        child.WaitForReady(_syncRead);
        var listener = ProcessCalls.PidfdGetfd(child.PidFd, ChildFds.SeccompListener);
        try
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(
                new ContainerProcessState { Pid = child.Pid, Metadata = _filter.ListenerMetadata, State = state },
                OciJsonContext.Default.ContainerProcessState);
            using var agent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try { agent.Connect(new UnixDomainSocketEndPoint(_filter.ListenerPath!)); }
            catch (SocketException e)
            {
                throw new OciException($"config.json: linux.seccomp.listenerPath: cannot connect to the seccomp agent at {_filter.ListenerPath}: {e.Message}");
            }
            try { OciCalls.SendFd((int)agent.Handle, payload, listener, "seccomp agent"); }
            catch (SyscallException e) { throw new OciException($"config.json: linux.seccomp.listenerPath: {e.Message}", inner: e); }
        }
        finally { FileCalls.Close(listener); }
        FileCalls.WriteAll(_releaseWrite, "1"u8);
    }

    /// <summary>
    /// The child's steps: the filter (its listener fd placed at a known number), the sync point,
    /// then closing its copy. They run under the filter: the agent decides on any notified call
    /// among them (write, read, close), as with runc.
    /// </summary>
    public static void AddSteps(SpawnPlan plan, CompiledFilter filter)
    {
        plan.Seccomp(filter.Program, filter.Flags, listenerTargetFd: ChildFds.SeccompListener);
        plan.Write("seccomp listener ready", ChildFds.SeccompSync, "1"u8);
        plan.WaitByte("wait for the runtime to hand the seccomp listener to the agent", ChildFds.SeccompRelease);
        // Not optional: the listener must never reach the container across execve (it could answer its own calls).
        plan.Syscall("close(seccomp listener)", Sys.SYS_close, ChildFds.SeccompListener);
        plan.Close(ChildFds.SeccompSync).Close(ChildFds.SeccompRelease);
    }

    public void Dispose()
    {
        Close(ref _syncRead);
        Close(ref _syncWrite);
        Close(ref _releaseRead);
        Close(ref _releaseWrite);
    }

    private static void Close(ref int fd)
    {
        if (fd < 0) return;
        FileCalls.Close(fd);
        fd = -1;
    }
}

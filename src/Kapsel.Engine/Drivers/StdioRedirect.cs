using Kapsel.Linux.Interop;

namespace Kapsel.Engine.Drivers;

/// <summary>
/// Points this process's fds 0/1/2 at an instance's stdio for the duration of a container create
/// (the OCI runtime hands the container the runtime's own stdio, as runc does), then restores
/// them. Only used when the caller asked for streams other than its own (e.g. `compare`'s probes).
/// </summary>
internal sealed class StdioRedirect : IDisposable
{
    private readonly int[] _saved;

    private StdioRedirect(InstanceStdio stdio)
    {
        int[] wanted = [stdio.Stdin, stdio.Stdout, stdio.Stderr];
        _saved = new int[3];
        for (var fd = 0; fd < 3; fd++)
        {
            _saved[fd] = (int)Linux.SyscallException.Check(Sys.Syscall(72 /* SYS_fcntl */, fd, 1030 /* F_DUPFD_CLOEXEC */, 10), $"fcntl({fd}, F_DUPFD_CLOEXEC)");
            Linux.SyscallException.Check(Sys.Syscall(Sys.SYS_dup2, wanted[fd], fd), $"dup2({wanted[fd]}, {fd})");
        }
    }

    public static IDisposable? For(InstanceStdio stdio) =>
        stdio is { Stdin: 0, Stdout: 1, Stderr: 2 } ? null : new StdioRedirect(stdio);

    public void Dispose()
    {
        for (var fd = 0; fd < 3; fd++)
        {
            Sys.Syscall(Sys.SYS_dup2, _saved[fd], fd);
            FileCalls.Close(_saved[fd]);
        }
    }
}

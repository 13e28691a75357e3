using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Spawn;

/// <summary>
/// A child started from a <see cref="SpawnPlan"/>: its pid, a pidfd for race-free signalling and
/// waiting, and the read end of the error pipe until the exec outcome is known.
/// </summary>
public sealed class SpawnedProcess : IDisposable
{
    private readonly Func<int, string> _describeStep;
    private readonly Func<int, bool> _isExecStep;
    private int _errorFd;
    private ExitStatus? _exit;

    public int Pid { get; }
    public int PidFd { get; private set; }

    internal SpawnedProcess(int pid, int pidFd, int errorFd, Func<int, string> describeStep, Func<int, bool> isExecStep)
    {
        Pid = pid;
        PidFd = pidFd;
        _errorFd = errorFd;
        _describeStep = describeStep;
        _isExecStep = isExecStep;
    }

    /// <summary>
    /// Blocks until the child has called execve successfully (error pipe EOF), or throws the
    /// <see cref="SpawnException"/> for the step that failed (and reaps the child).
    /// </summary>
    public void WaitForExec()
    {
        if (_errorFd < 0) return;
        Span<byte> record = stackalloc byte[8];
        var n = FileCalls.ReadFull(_errorFd, record);
        FileCalls.Close(_errorFd);
        _errorFd = -1;
        if (n == 0) return;
        var step = BitConverter.ToInt32(record[..4]);
        var errno = BitConverter.ToInt32(record[4..]);
        Wait();
        throw new SpawnException(_describeStep(step), errno, _isExecStep(step));
    }

    /// <summary>
    /// Waits until either <paramref name="readyFd"/> becomes readable (the child reached a sync
    /// point) or the child failed. Throws the child's failure; returns normally when ready.
    /// </summary>
    public void WaitForReady(int readyFd)
    {
        Span<FileCalls.PollFd> fds = stackalloc FileCalls.PollFd[2];
        fds[0] = new FileCalls.PollFd { Fd = _errorFd, Events = FileCalls.POLLIN };
        fds[1] = new FileCalls.PollFd { Fd = readyFd, Events = FileCalls.POLLIN };
        FileCalls.Poll(fds, -1);
        if (fds[1].Revents != 0)
        {
            Span<byte> b = stackalloc byte[1];
            if (FileCalls.Read(readyFd, b) == 1) return;
        }
        WaitForExec();
        throw new InvalidOperationException("the child exited before reaching its sync point");
    }

    /// <summary>Reaps the child (once) and returns how it ended.</summary>
    public ExitStatus Wait()
    {
        if (_exit is { } e) return e;
        var status = ProcessCalls.WaitPidfd(PidFd);
        _exit = status;
        return status;
    }

    /// <summary>Non-blocking check; reaps if it has exited.</summary>
    public ExitStatus? TryWait()
    {
        if (_exit is { } e) return e;
        var status = ProcessCalls.WaitPidfd(PidFd, noHang: true);
        if (status.Running) return null;
        _exit = status;
        return status;
    }

    public void Signal(int signal)
    {
        if (_exit is null) ProcessCalls.PidfdSendSignal(PidFd, signal);
    }

    public void Dispose()
    {
        FileCalls.Close(_errorFd);
        _errorFd = -1;
        FileCalls.Close(PidFd);
        PidFd = -1;
    }
}

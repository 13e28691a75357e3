using System.Runtime.InteropServices;

namespace Kapsel.Linux.Interop;

/// <summary>pidfd_open, pidfd_send_signal, waitid(P_PIDFD), kill, SIGCHLD disposition.</summary>
public static unsafe partial class ProcessCalls
{
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGPIPE = 13,
        SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGWINCH = 28;
    private const int P_PID = 1, P_PIDFD = 3, WEXITED = 4, WNOHANG = 1, WNOWAIT = 0x01000000;
    private const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

    [LibraryImport(Sys.Libc, EntryPoint = "waitid", SetLastError = true)]
    private static partial int waitid(int idtype, int id, byte* siginfo, int options);

    [LibraryImport(Sys.Libc, EntryPoint = "signal", SetLastError = true)]
    private static partial nint signal(int signum, nint handler);

    [LibraryImport(Sys.Libc, EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport(Sys.Libc, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    public static int PidfdOpen(int pid) =>
        (int)SyscallException.Check(Sys.Syscall(Sys.SYS_pidfd_open, pid, 0), $"pidfd_open({pid})");

    /// <summary>A copy (close-on-exec) of fd <paramref name="targetFd"/> of the process behind a pidfd (needs ptrace rights over it).</summary>
    public static int PidfdGetfd(int pidfd, int targetFd) =>
        (int)SyscallException.Check(Sys.Syscall(Sys.SYS_pidfd_getfd, pidfd, targetFd, 0), $"pidfd_getfd({pidfd}, {targetFd})");

    public static void PidfdSendSignal(int pidfd, int signal) =>
        SyscallException.Check(Sys.Syscall(Sys.SYS_pidfd_send_signal, pidfd, signal, 0, 0), $"pidfd_send_signal({pidfd}, {signal})");

    /// <summary>kill(2); returns false if the process does not exist.</summary>
    public static bool Kill(int pid, int signal)
    {
        if (Sys.Syscall(Sys.SYS_kill, pid, signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Errnos.ESRCH) return false;
        throw new SyscallException($"kill({pid}, {signal})", errno);
    }

    /// <summary>Waits for (and reaps) the process behind a pidfd. Returns its exit status in shell form.</summary>
    public static ExitStatus WaitPidfd(int pidfd, bool noHang = false) => Wait(P_PIDFD, pidfd, noHang, $"waitid(P_PIDFD, {pidfd})");

    /// <summary>Waits for one specific child pid (never -1).</summary>
    public static ExitStatus WaitPid(int pid, bool noHang = false) => Wait(P_PID, pid, noHang, $"waitid(P_PID, {pid})");

    private static ExitStatus Wait(int idType, int id, bool noHang, string call)
    {
        byte* info = stackalloc byte[128];
        while (true)
        {
            new Span<byte>(info, 128).Clear();
            if (waitid(idType, id, info, WEXITED | (noHang ? WNOHANG : 0)) == 0) break;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errnos.EINTR) throw new SyscallException(call, errno);
        }
        var pid = *(int*)(info + 16);
        if (pid == 0) return ExitStatus.StillRunning;
        var code = *(int*)(info + 8);
        var status = *(int*)(info + 24);
        return code == CLD_EXITED ? new ExitStatus(status, 0) : new ExitStatus(128 + status, status, code == CLD_DUMPED);
    }

    /// <summary>HOST.md: SIGCHLD must be SIG_DFL so that waits on specific pids work predictably.</summary>
    public static void ResetChildSignal() => signal(SIGCHLD, 0);
}

/// <summary>How a process ended: Code is the shell-style code (128+N when killed by signal N).</summary>
public readonly record struct ExitStatus(int Code, int Signal, bool CoreDumped = false)
{
    public static readonly ExitStatus StillRunning = new(-1, 0);
    public bool Running => Code == -1;
    public override string ToString() => Running ? "running" : Signal != 0 ? $"killed by signal {Signal}" : $"exit code {Code}";
}

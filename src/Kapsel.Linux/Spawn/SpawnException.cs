namespace Kapsel.Linux.Spawn;

/// <summary>A step of a spawn plan failed in the child before (or at) execve.</summary>
public sealed class SpawnException : Exception
{
    public string Step { get; }
    public int Errno { get; }
    /// <summary>True when the failing step was the final execve (command missing or not executable).</summary>
    public bool AtExec { get; }

    public SpawnException(string step, int errno, bool atExec)
        : base($"{step} failed: {DescribeResult(errno)}")
    {
        Step = step;
        Errno = errno;
        AtExec = atExec;
    }

    /// <summary>An errno, or for a <see cref="SpawnPlan.Run"/> step the program's exit status or signal.</summary>
    public static string DescribeResult(int err) =>
        (err & SpawnPlan.RunStatusBit) == 0 ? Errnos.Describe(err)
        : (err & 0x7f) == 0 ? $"exit status {(err >> 8) & 0xff}" : $"killed by signal {err & 0x7f}";

    /// <summary>docker/podman convention: 127 command not found, 126 found but not executable.</summary>
    public int ShellExitCode => !AtExec ? 125 : Errno is Errnos.ENOENT or Errnos.ENOTDIR ? 127 : 126;
}

namespace Kapsel.Linux.Spawn;

/// <summary>A step of a spawn plan failed in the child before (or at) execve.</summary>
public sealed class SpawnException : Exception
{
    public string Step { get; }
    public int Errno { get; }
    /// <summary>True when the failing step was the final execve (command missing or not executable).</summary>
    public bool AtExec { get; }

    public SpawnException(string step, int errno, bool atExec)
        : base($"{step} failed: {Errnos.Describe(errno)}")
    {
        Step = step;
        Errno = errno;
        AtExec = atExec;
    }

    /// <summary>docker/podman convention: 127 command not found, 126 found but not executable.</summary>
    public int ShellExitCode => !AtExec ? 125 : Errno is Errnos.ENOENT or Errnos.ENOTDIR ? 127 : 126;
}

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// A cgroup operation that failed. The message names the file and the value, e.g.
/// <c>write /sys/fs/cgroup/memory/x/memory.limit_in_bytes = "-5": EINVAL (Invalid argument)</c>.
/// </summary>
public sealed class CgroupException : Exception
{
    /// <summary>The errno, or 0 when the failure is not a syscall's (a timeout, a bad value).</summary>
    public int Errno { get; }

    /// <summary>The file or directory involved, if any.</summary>
    public string? Path { get; }

    public CgroupException(string message, int errno = 0, string? path = null, Exception? inner = null)
        : base(errno != 0 ? $"{message}: {Errnos.Describe(errno)}" : message, inner)
    {
        Errno = errno;
        Path = path;
    }
}

namespace Kapsel.Linux.Netlink;

/// <summary>
/// A network namespace the kernel can resolve for IFLA_NET_NS_FD / IFLA_NET_NS_PID: an open
/// namespace fd (/proc/PID/ns/net, /run/netns/NAME) or the pid of a process living in it.
/// </summary>
public readonly record struct NetworkNamespaceRef
{
    public int Fd { get; }
    public int Pid { get; }
    public bool IsFd { get; }

    private NetworkNamespaceRef(int fd, int pid, bool isFd) => (Fd, Pid, IsFd) = (fd, pid, isFd);

    public static NetworkNamespaceRef FromFd(int fd) =>
        fd >= 0 ? new(fd, 0, true) : throw new ArgumentOutOfRangeException(nameof(fd));

    public static NetworkNamespaceRef FromPid(int pid) =>
        pid > 0 ? new(-1, pid, false) : throw new ArgumentOutOfRangeException(nameof(pid));

    public override string ToString() => IsFd ? $"netns fd {Fd}" : $"netns of pid {Pid}";
}

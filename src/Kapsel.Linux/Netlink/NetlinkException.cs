using Kapsel.Linux;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// The kernel refused a netlink request. The message names the operation, the errno and, when the
/// kernel gave one, its extended ack text, e.g.
/// <c>netlink create veth "kt1" peer "kt2" failed: EEXIST (File exists): kernel says "..."</c>.
/// </summary>
public sealed class NetlinkException : Exception
{
    public string Operation { get; }
    public int Errno { get; }
    /// <summary>NLMSGERR_ATTR_MSG from the extended ack, if any.</summary>
    public string? KernelMessage { get; }

    public NetlinkException(string operation, int errno, string? kernelMessage)
        : base($"netlink {operation} failed: {Errnos.Describe(errno)}" +
               (string.IsNullOrEmpty(kernelMessage) ? "" : $": kernel says \"{kernelMessage}\""))
    {
        Operation = operation;
        Errno = errno;
        KernelMessage = kernelMessage;
    }
}

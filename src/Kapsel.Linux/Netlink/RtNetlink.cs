using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// The rtnetlink client: links, addresses, routes and bridge ports of one network namespace —
/// the namespace the socket was created in (<see cref="Open"/> for the current one,
/// <see cref="OpenInNamespace(int)"/> for another). Every call is one request/answer round trip;
/// a refused request throws <see cref="NetlinkException"/>. Calls are serialised, so an instance
/// may be shared between threads.
/// </summary>
public sealed partial class RtNetlink : IDisposable
{
    private readonly NetlinkSocket _socket;
    private readonly Lock _lock = new();

    private RtNetlink(NetlinkSocket socket) => _socket = socket;

    /// <summary>A client for the calling process's network namespace.</summary>
    public static RtNetlink Open() => new(NetlinkSocket.Open());

    /// <summary>
    /// A client for the network namespace behind an open namespace fd (/proc/PID/ns/net or a
    /// bind-mounted /run/netns/NAME). The fd may be closed afterwards; the socket keeps the
    /// namespace alive and all requests act inside it. See <see cref="NamespacedSocketFactory"/> for how.
    /// </summary>
    public static RtNetlink OpenInNamespace(int netnsFd) => new(new NetlinkSocket(NamespacedSocketFactory.CreateIn(netnsFd)));

    /// <summary>Convenience: opens the namespace file at <paramref name="netnsPath"/> just for the switch.</summary>
    public static RtNetlink OpenInNamespace(string netnsPath)
    {
        var fd = FileCalls.Open(netnsPath, FileCalls.O_RDONLY);
        try { return OpenInNamespace(fd); }
        finally { FileCalls.Close(fd); }
    }

    private List<NetlinkMessage> Request(NetlinkMessageWriter message, string operation)
    {
        lock (_lock) return _socket.Request(message, operation);
    }

    private List<NetlinkMessage> Dump(NetlinkMessageWriter message, string operation)
    {
        lock (_lock) return _socket.Dump(message, operation);
    }

    public void Dispose() => _socket.Dispose();
}

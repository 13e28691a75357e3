using System.Net.Sockets;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// .NET sockets that live in another network namespace (a socket keeps the namespace it was
/// created in): a listener inside a container's namespace, a client dialling from inside it.
/// No thread of ours ever stays in the namespace; see <see cref="NamespacedSocketFactory"/>.
/// </summary>
public static class NamespacedSocket
{
    public static Socket Create(int netnsFd, AddressFamily family, SocketType type, ProtocolType protocol)
    {
        var fd = NamespacedSocketFactory.CreateIn(netnsFd, (int)family, (int)type, (int)protocol);
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }
}

using System.Runtime.InteropServices;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Netlink;

/// <summary>socket(2), bind(2), setsockopt(2), getsockname(2), sendto(2), recv(2) for AF_NETLINK.</summary>
internal static unsafe partial class NetlinkSocketCalls
{
    public const int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, NETLINK_ROUTE = 0;
    public const int SOL_SOCKET = 1, SO_SNDBUF = 7, SO_RCVBUF = 8;
    public const int SOL_NETLINK = 270, NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11;
    public const int MSG_PEEK = 2, MSG_TRUNC = 0x20;

    /// <summary>struct sockaddr_nl.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }

    [LibraryImport(Sys.Libc, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Sys.Libc, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, SockaddrNl* addr, int addrLen);

    [LibraryImport(Sys.Libc, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, SockaddrNl* addr, int* addrLen);

    [LibraryImport(Sys.Libc, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, int* value, int valueLen);

    [LibraryImport(Sys.Libc, EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(int fd, byte* buf, nint len, int flags, SockaddrNl* addr, int addrLen);

    [LibraryImport(Sys.Libc, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buf, nint len, int flags);
}

using System.Runtime.InteropServices;
using Kapsel.Linux;

namespace Kapsel.Oci.Interop;

/// <summary>recvmsg for one SCM_RIGHTS descriptor (the pty master a container sends to its console socket).</summary>
internal static unsafe partial class OciCalls
{
    [StructLayout(LayoutKind.Sequential)] private struct IoVec { public byte* Base; public nint Len; }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr { public void* Name; public int NameLen; public IoVec* Iov; public nint IovLen; public void* Control; public nint ControlLen; public int Flags; }

    [LibraryImport("libc.so.6", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    /// <summary>Receives one fd (O_CLOEXEC) from a connected unix socket; -1 if the message carried none.</summary>
    public static int ReceiveFd(int socket) => ReceiveFd(socket, out _);

    /// <summary>The same, also returning the bytes that came with the fd (up to 64 KiB).</summary>
    public static int ReceiveFd(int socket, out byte[] payload)
    {
        const int Max = 65536;
        var buffer = new byte[Max];
        fixed (byte* data = buffer)
        {
            var fd = ReceiveFd(socket, data, Max, out var length);
            payload = buffer[..length];
            return fd;
        }
    }

    private static int ReceiveFd(int socket, byte* data, int capacity, out int length)
    {
        var control = stackalloc byte[64];
        var iov = new IoVec { Base = data, Len = capacity };
        var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 64 };
        const int MSG_CMSG_CLOEXEC = 0x40000000;
        length = SyscallException.Check((int)recvmsg(socket, &msg, MSG_CMSG_CLOEXEC), "recvmsg(unix socket)");
        // struct cmsghdr { size_t len; int level; int type; } followed by the fd.
        if (msg.ControlLen < 20 || *(int*)(control + 8) != 1 /* SOL_SOCKET */ || *(int*)(control + 12) != 1 /* SCM_RIGHTS */) return -1;
        return *(int*)(control + 16);
    }
}

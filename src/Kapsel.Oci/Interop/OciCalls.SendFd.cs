using System.Runtime.InteropServices;
using Kapsel.Linux;

namespace Kapsel.Oci.Interop;

/// <summary>sendmsg with one SCM_RIGHTS descriptor (the seccomp listener handed to an agent).</summary>
internal static unsafe partial class OciCalls
{
    [LibraryImport("libc.so.6", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    /// <summary>Sends <paramref name="payload"/> and the fd in one message on a connected unix socket.</summary>
    public static void SendFd(int socket, ReadOnlySpan<byte> payload, int fd, string what)
    {
        // struct cmsghdr { size_t len; int level; int type; } + one int, padded to 8 bytes: 24.
        var control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        *(nint*)control = 20;
        *(int*)(control + 8) = 1;  // SOL_SOCKET
        *(int*)(control + 12) = 1; // SCM_RIGHTS
        *(int*)(control + 16) = fd;
        fixed (byte* data = payload)
        {
            var iov = new IoVec { Base = data, Len = payload.Length };
            var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 24 };
            const int MSG_NOSIGNAL = 0x4000;
            SyscallException.Check((int)sendmsg(socket, &msg, MSG_NOSIGNAL), $"sendmsg({what})");
        }
    }
}

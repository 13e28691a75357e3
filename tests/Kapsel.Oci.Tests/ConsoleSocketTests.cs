using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Kapsel.Oci.Tests;

/// <summary>
/// `terminal: true` with --console-socket: the test is the console-socket server, receives the pty
/// master over SCM_RIGHTS, types a command into it and reads the container's answer.
/// </summary>
public sealed unsafe class ConsoleSocketTests
{
    [Fact]
    public void PtyMasterArrivesOverScmRightsAndDrivesTheShell()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Process!.Terminal = true;
            s.Process.Args = ["sh"];
        });
        var socketPath = Path.Combine(b.Dir, "console.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "--console-socket", socketPath, "tty1");
        Assert.True(code == 0, err);
        using var conn = accept.Result;
        var master = ReceiveFd((int)conn.Handle);
        Assert.True(master >= 0, "no fd received");
        try
        {
            Assert.Equal(0, b.Oci("start", "tty1").Code);
            var command = "tty; echo marker-$((6*7)); exit 3\n"u8.ToArray();
            fixed (byte* p = command) Assert.Equal(command.Length, (int)write(master, p, command.Length));
            var output = ReadUntil(master, "marker-42", 10_000);
            Assert.Contains("/dev/pts/0", output);
            Assert.Contains("marker-42", output);
        }
        finally { close(master); }
        var deadline = Environment.TickCount64 + 10_000;
        while (Environment.TickCount64 < deadline && !b.Oci("state", "tty1").Out.Contains("\"stopped\"")) Thread.Sleep(20);
        Assert.Contains("\"stopped\"", b.Oci("state", "tty1").Out);
        Assert.Equal(0, b.Oci("delete", "tty1").Code);
    }

    private static string ReadUntil(int fd, string marker, int timeoutMs)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline && !text.ToString().Contains(marker))
        {
            var pfd = new PollFd { Fd = fd, Events = 1 };
            if (poll(&pfd, 1, 200) <= 0) continue;
            long n;
            fixed (byte* p = buffer) n = read(fd, p, buffer.Length);
            if (n <= 0) break;
            text.Append(Encoding.UTF8.GetString(buffer, 0, (int)n));
        }
        return text.ToString();
    }

    /// <summary>recvmsg with room for one SCM_RIGHTS fd.</summary>
    private static int ReceiveFd(int socket)
    {
        var data = stackalloc byte[256];
        var control = stackalloc byte[64];
        var iov = new IoVec { Base = data, Len = 256 };
        var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 64 };
        if (recvmsg(socket, &msg, 0) < 0) return -1;
        if (msg.ControlLen < 20) return -1;
        // struct cmsghdr { size_t len; int level; int type; } then the fd.
        if (*(int*)(control + 8) != 1 /* SOL_SOCKET */ || *(int*)(control + 12) != 1 /* SCM_RIGHTS */) return -1;
        return *(int*)(control + 16);
    }

    [StructLayout(LayoutKind.Sequential)] private struct IoVec { public byte* Base; public nint Len; }
    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr { public void* Name; public int NameLen; public IoVec* Iov; public nint IovLen; public void* Control; public nint ControlLen; public int Flags; }
    [StructLayout(LayoutKind.Sequential)] private struct PollFd { public int Fd; public short Events; public short Revents; }

    [DllImport("libc")] private static extern nint recvmsg(int fd, MsgHdr* msg, int flags);
    [DllImport("libc")] private static extern nint read(int fd, byte* buf, nint count);
    [DllImport("libc")] private static extern nint write(int fd, byte* buf, nint count);
    [DllImport("libc")] private static extern int poll(PollFd* fds, nint n, int timeout);
    [DllImport("libc")] private static extern int close(int fd);
}

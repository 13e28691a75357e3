using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kapsel.Linux.Interop;
using Kapsel.Oci.Interop;
using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Tests;

/// <summary>
/// SCMP_ACT_NOTIFY with a real seccomp agent (a thread of this test on a unix socket): the
/// runtime hands it the listener fd and the container process state; the agent answers the
/// container's mkdir with EPERM, which the container sees. With and without no_new_privs (the
/// filter goes in at different points of the init). Bad listener configs fail cleanly.
/// </summary>
public sealed unsafe class SeccompNotifyTests
{
    private const ulong SECCOMP_IOCTL_NOTIF_RECV = 0xc0502100, SECCOMP_IOCTL_NOTIF_SEND = 0xc0182101;
    private const int SYS_mkdir = 83, SYS_mkdirat = 258, EPERM = 1;

    private static SeccompProfile NotifyMkdir(string listenerPath) => new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        ListenerPath = listenerPath,
        ListenerMetadata = "from-the-test",
        Syscalls = [new SeccompSyscallRule { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_NOTIFY" }],
    };

    /// <summary>
    /// Accepts runtime connections (one per filter: the init's, then each exec's), and answers
    /// every notification with EPERM until that filter's users are gone.
    /// </summary>
    private sealed class Agent : IDisposable
    {
        private readonly Socket _listen = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly Task _task;
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kapsel-agent-{Guid.NewGuid():N}.sock");
        public List<JsonElement> States { get; } = [];
        public JsonElement? State => States.Count > 0 ? States[0] : null;
        public List<int> Syscalls { get; } = [];

        public Agent(int connections = 1)
        {
            _listen.Bind(new UnixDomainSocketEndPoint(Path));
            _listen.Listen(connections);
            _task = Task.Run(() =>
            {
                var served = new List<Task>();
                for (var i = 0; i < connections; i++)
                {
                    var conn = _listen.Accept();
                    served.Add(Task.Run(() => { using (conn) Serve(conn); }));
                }
                Task.WaitAll(served);
            });
        }

        private void Serve(Socket conn)
        {
            var fd = OciCalls.ReceiveFd((int)conn.Handle, out var payload);
            Assert.True(fd >= 0, "the runtime sent no fd");
            lock (States) States.Add(JsonDocument.Parse(payload).RootElement.Clone());
            var notif = (byte*)NativeMemory.AllocZeroed(80);
            var resp = (byte*)NativeMemory.AllocZeroed(24);
            try
            {
                // struct seccomp_notif { u64 id; u32 pid; u32 flags; struct seccomp_data { int nr; … } }
                while (Sys.Syscall(Sys.SYS_ioctl, fd, (long)SECCOMP_IOCTL_NOTIF_RECV, (long)notif) == 0)
                {
                    lock (Syscalls) Syscalls.Add(*(int*)(notif + 16));
                    // struct seccomp_notif_resp { u64 id; s64 val; s32 error; u32 flags; }
                    *(ulong*)resp = *(ulong*)notif;
                    *(long*)(resp + 8) = 0;
                    *(int*)(resp + 16) = -EPERM;
                    *(uint*)(resp + 20) = 0;
                    Sys.Syscall(Sys.SYS_ioctl, fd, (long)SECCOMP_IOCTL_NOTIF_SEND, (long)resp);
                    new Span<byte>(notif, 80).Clear();
                }
            }
            finally
            {
                NativeMemory.Free(notif);
                NativeMemory.Free(resp);
                FileCalls.Close(fd);
            }
        }

        public void Finish() => Assert.True(_task.Wait(TimeSpan.FromSeconds(20)), "the agent did not finish");

        public void Dispose()
        {
            _listen.Dispose();
            File.Delete(Path);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AgentAnswersTheContainersNotifiedCalls(bool noNewPrivileges)
    {
        using var agent = new Agent();
        using var b = new BusyboxBundle(s =>
        {
            s.Process!.NoNewPrivileges = noNewPrivileges;
            s.Process.Args = ["sh", "-c", "mkdir /tmp/made 2>/dev/null; echo $? > /tmp/out"];
            s.Linux!.Seccomp = NotifyMkdir(agent.Path);
        });
        var pidFile = Path.Combine(b.Dir, "pid");
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "--pid-file", pidFile, "sn1");
        Assert.True(code == 0, err);
        agent.Finish();

        Assert.Equal("1", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/out")).Trim()); // mkdir failed: the agent said EPERM
        Assert.False(Directory.Exists(Path.Combine(b.Rootfs, "tmp/made")));
        Assert.Contains(agent.Syscalls, nr => nr is SYS_mkdir or SYS_mkdirat);
        var state = agent.State!.Value;
        Assert.Equal("seccompFd", state.GetProperty("fds")[0].GetString());
        Assert.Equal("from-the-test", state.GetProperty("metadata").GetString());
        Assert.Equal(int.Parse(File.ReadAllText(pidFile)), state.GetProperty("pid").GetInt32());
        Assert.Equal("sn1", state.GetProperty("state").GetProperty("id").GetString());
    }

    [Fact]
    public void ExecGetsItsOwnListenerHandedToTheAgent()
    {
        using var agent = new Agent(connections: 2);
        using var b = new BusyboxBundle(s => s.Linux!.Seccomp = NotifyMkdir(agent.Path)); // sleeps
        Assert.Equal(0, b.Oci("run", "--detach", "--bundle", b.Dir, "sn4").Code);
        var process = Path.Combine(b.Dir, "exec.json");
        File.WriteAllText(process, """{"args": ["sh", "-c", "mkdir /tmp/exec-made 2>/dev/null; echo $? > /tmp/out"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "noNewPrivileges": true}""");
        var (code, _, err) = b.Oci("exec", "--process", process, "sn4");
        Assert.True(code == 0, err);
        Assert.Equal("1", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/out")).Trim());
        Assert.Equal(0, b.Oci("delete", "--force", "sn4").Code);
        agent.Finish();
        Assert.Equal(2, agent.States.Count);
        Assert.Contains(agent.States, s => s.GetProperty("state").GetProperty("status").GetString() == "running");
    }

    [Fact]
    public void NotifyWithoutListenerPathIsRefused()
    {
        using var b = new BusyboxBundle(s => s.Linux!.Seccomp = NotifyMkdir(null!) );
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "sn2");
        Assert.NotEqual(0, code);
        Assert.Contains("linux.seccomp.listenerPath", err);
        Assert.False(Directory.Exists(Path.Combine(b.Root, "sn2")));
    }

    [Fact]
    public void UnreachableAgentFailsCreateAndLeavesNothing()
    {
        using var b = new BusyboxBundle(s => s.Linux!.Seccomp = NotifyMkdir("/run/kapsel-no-such-agent.sock"));
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "sn3");
        Assert.NotEqual(0, code);
        Assert.Contains("cannot connect to the seccomp agent", err);
        Assert.False(Directory.Exists(Path.Combine(b.Root, "sn3")), "state directory left behind");
        foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup"))
            Assert.False(Directory.Exists(Path.Combine(hierarchy, "kapsel-runc", "sn3")), $"cgroup left in {hierarchy}");
    }
}

using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Tests.Seccomp;

/// <summary>Compiled filters installed by the spawn trampoline in a real child (host busybox-static), on the real kernel.</summary>
public sealed class SeccompKernelTests : IDisposable
{
    private const string Busybox = "/bin/busybox";
    private const int SIGSYS = 31;
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"kapsel-seccomp-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true);
    }

    private static (ExitStatus Status, string Output) Run(CompiledSeccomp filter, string[] argv, int listenerFd = -1, ulong cloneFlags = 0)
    {
        var (rd, wr) = FileCalls.Pipe();
        try
        {
            using var plan = new SpawnPlan { CloneFlags = cloneFlags };
            plan.Dup(wr, 1).Dup(wr, 2).CloseOnExecFrom(3)
                .Prctl("PR_SET_NO_NEW_PRIVS", PrctlCalls.PR_SET_NO_NEW_PRIVS, 1)
                .Seccomp(filter.Program, filter.Flags, listenerFd)
                .Execve(Busybox, argv, ["PATH=/bin:/usr/bin"]);
            using var child = Spawner.Spawn(plan);
            FileCalls.Close(wr);
            wr = -1;
            child.WaitForExec();
            var buffer = new byte[16384];
            var n = FileCalls.ReadFull(rd, buffer);
            return (child.Wait(), System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }
        finally
        {
            FileCalls.Close(rd);
            FileCalls.Close(wr);
        }
    }

    private static CompiledSeccomp AllowAllBut(string action, uint? errno, params string[] names) =>
        SeccompCompiler.Compile(new SeccompProfile
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscallRule { Names = [.. names], Action = action, ErrnoRet = errno }],
        });

    [Fact]
    public void ErrnoRuleMakesMkdirFailWithThatErrno()
    {
        var target = Path.Combine(_scratch, "x");
        Directory.CreateDirectory(_scratch);
        var (status, output) = Run(AllowAllBut("SCMP_ACT_ERRNO", 38, "mkdir", "mkdirat"), ["busybox", "mkdir", target]);
        Assert.NotEqual(0, status.Code);
        Assert.Contains("Function not implemented", output);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void KillProcessRuleKillsWithSigsys()
    {
        Directory.CreateDirectory(_scratch);
        var (status, _) = Run(AllowAllBut("SCMP_ACT_KILL_PROCESS", null, "mkdir", "mkdirat"), ["busybox", "mkdir", Path.Combine(_scratch, "y")]);
        Assert.Equal(SIGSYS, status.Signal);
    }

    [Fact]
    public void ProcessRunsInFilterMode()
    {
        var (status, output) = Run(AllowAllBut("SCMP_ACT_ERRNO", null, "acct"), ["busybox", "grep", "^Seccomp", "/proc/self/status"]);
        Assert.Equal(0, status.Code);
        Assert.Contains("Seccomp:\t2", output);
        Assert.Contains("Seccomp_filters:\t1", output);
    }

    [Fact]
    public void NotifyRuleHandsTheListenerFdToTheChild()
    {
        var filter = AllowAllBut("SCMP_ACT_NOTIFY", null, "acct");
        Assert.True(filter.NeedsListener);
        var (status, output) = Run(filter, ["busybox", "readlink", "/proc/self/fd/5"], listenerFd: 5);
        Assert.Equal(0, status.Code);
        Assert.Equal("anon_inode:seccomp notify", output.Trim());
    }

    [Fact]
    public void DefaultProfileRunsAShellButBlocksNamespacesAndMounts()
    {
        var filter = SeccompCompiler.Compile(DefaultSeccompProfile.Create(DefaultSeccompProfileTests.DockerCapabilities));

        var (status, output) = Run(filter, ["busybox", "sh", "-c", "echo hello; ls / >/dev/null && cat /proc/self/status | grep -c Seccomp; (sleep 0; true) && echo done"]);
        Assert.Equal(0, status.Code);
        Assert.Equal("hello\n2\ndone\n", output);

        (status, output) = Run(filter, ["busybox", "unshare", "-n", "true"]);
        Assert.NotEqual(0, status.Code);
        Assert.Contains("Operation not permitted", output);

        // A path that does not exist: were the filter to let mount(2) through, it would fail harmlessly with ENOENT.
        (status, output) = Run(filter, ["busybox", "mount", "-t", "tmpfs", "none", "/nonexistent-kapsel-seccomp"]);
        Assert.NotEqual(0, status.Code);
        Assert.Contains("permission denied", output); // busybox's wording for EPERM
    }

    [Fact]
    public void DefaultProfileWithSysAdminAllowsUnshare()
    {
        var filter = SeccompCompiler.Compile(DefaultSeccompProfile.Create([.. DefaultSeccompProfileTests.DockerCapabilities, "CAP_SYS_ADMIN"]));
        var (status, output) = Run(filter, ["busybox", "unshare", "-n", "true"]);
        Assert.True(status.Code == 0, output);
    }
}

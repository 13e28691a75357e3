using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Tests;

/// <summary>Containers whose seccomp profile constrains the runtime's own last setup steps.</summary>
public sealed class SeccompLifecycleTests
{
    // A profile written before close_range existed (runtime-tools' generated default, older
    // Docker profiles) answers it with ENOSYS; without noNewPrivileges the filter is installed
    // before the remaining setup steps, which must not depend on it.
    private static readonly SeccompProfile NoCloseRange = new()
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        Syscalls = [new SeccompSyscallRule { Names = ["close_range"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 38 /* ENOSYS */ }],
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ProfileWithoutCloseRangeStillStartsTheContainer(bool noNewPrivileges)
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Seccomp = NoCloseRange;
            s.Process!.NoNewPrivileges = noNewPrivileges;
            s.Process.Args = ["sh", "-c", "ls /proc/self/fd > /tmp/fds"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "sc1");
        Assert.True(code == 0, err);
        // Only stdio (and ls's own directory fd) are open in the container's process.
        var fds = File.ReadAllText(Path.Combine(b.Rootfs, "tmp/fds")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(fds.Length <= 4, string.Join(' ', fds));
    }

    [Fact]
    public void ExecWithProfileWithoutCloseRangeRuns()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Seccomp = NoCloseRange;
            s.Process!.NoNewPrivileges = false;
        });
        Assert.Equal(0, b.Oci("create", "--bundle", b.Dir, "sc2").Code);
        Assert.Equal(0, b.Oci("start", "sc2").Code);
        var (code, _, err) = b.Oci("exec", "sc2", "true");
        Assert.True(code == 0, err);
        Assert.Equal(0, b.Oci("delete", "--force", "sc2").Code);
    }
}

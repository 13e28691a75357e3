namespace Kapsel.Integration.Tests.Oci;

/// <summary>Podman 4.3 driving kapsel-runc through conmon (create/start/exec/kill/delete as HOST.md lists).</summary>
public sealed class PodmanTests : IDisposable
{
    private readonly PodmanHarness _podman = new();

    public void Dispose()
    {
        var parent = _podman.CgroupParent;
        var dir = _podman.Dir;
        _podman.Dispose();
        Assert.False(OciTestEnv.CgroupDirExists(parent), $"cgroup {parent} left behind");
        Assert.Empty(HostLeaks.MountsUnder(dir));
        Assert.Empty(HostLeaks.ProcessesMentioning(dir));
    }

    [NeedsPodmanFact]
    public void TmpfsOverAnImageDirectoryKeepsItsContents()
    {
        // Podman asks for "tmpcopyup" on --tmpfs by default: the tmpfs over /bin must start with the image's
        // /bin (else echo is not found), and writes stay in the tmpfs.
        var r = _podman.RunContainer("--rm", "--tmpfs", "/bin", PodmanHarness.Image, "/bin/sh", "-c",
            "grep ' /bin ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1; echo still-here");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("tmpfs\nstill-here\n", r.Stdout);
        r = _podman.RunContainer("--rm", "--tmpfs", "/bin:notmpcopyup", PodmanHarness.Image, "/bin/sh", "-c", "true");
        Assert.NotEqual(0, r.ExitCode); // without the copy, /bin is empty
    }

    [NeedsPodmanFact]
    public void RunPrintsOutputAndPassesExitCodeThrough()
    {
        var r = _podman.RunContainer("--rm", PodmanHarness.Image, "echo", "hi");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hi\n", r.Stdout);
        Assert.DoesNotContain("warning", r.Stderr);

        r = _podman.RunContainer("--rm", PodmanHarness.Image, "sh", "-c", "echo out; echo err >&2; exit 7");
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Contains("err", r.Stderr);
        Assert.Equal("", _podman.Podman("ps", "-a", "-q").Stdout.Trim());
    }

    [NeedsPodmanFact]
    public void DetachedExecKillRemove()
    {
        var r = _podman.RunContainer("-d", "--name", "kt-detached", PodmanHarness.Image, "sleep", "1000");
        Assert.True(r.ExitCode == 0, r.ToString());
        var id = r.Stdout.Trim();
        r = _podman.Podman("exec", id, "sh", "-c", "echo inside; cat /proc/1/cmdline; exit 3");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("inside\nsleep\01000\0", r.Stdout);
        r = _podman.Podman("exec", id, "ps", "-o", "pid,comm");
        Assert.Contains("1 sleep", r.Stdout);
        Assert.Equal("running", _podman.Podman("inspect", "--format", "{{.State.Status}}", id).Stdout.Trim());

        r = _podman.Podman("kill", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("137", _podman.Podman("wait", id).Stdout.Trim());
        Assert.Equal("exited", _podman.Podman("inspect", "--format", "{{.State.Status}}", id).Stdout.Trim());
        r = _podman.Podman("rm", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", _podman.Podman("ps", "-a", "-q").Stdout.Trim());
    }

    [NeedsPodmanFact]
    public void StopEndsAContainerThatHandlesSigterm()
    {
        var r = _podman.RunContainer("-d", PodmanHarness.Image, "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done");
        Assert.True(r.ExitCode == 0, r.ToString());
        var id = r.Stdout.Trim();
        r = _podman.Podman("stop", "--time", "10", id);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("exited 0", _podman.Podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", id).Stdout.Trim());
        Assert.Equal(0, _podman.Podman("rm", id).ExitCode);
    }

    [NeedsPodmanFact]
    public void MemoryAndPidsLimitsReachTheContainersCgroup()
    {
        var r = _podman.RunContainer("--rm", "--memory", "64m", "--pids-limit", "33", PodmanHarness.Image, "sh", "-c",
            "if [ -f /sys/fs/cgroup/memory.max ]; then cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; " +
            "else cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; fi");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("67108864\n33\n", r.Stdout);
    }

    [NeedsPodmanFact]
    public void PauseAndResume()
    {
        var id = _podman.RunContainer("-d", PodmanHarness.Image, "sleep", "1000").Stdout.Trim();
        Assert.Equal(0, _podman.Podman("pause", id).ExitCode);
        Assert.Equal("paused", _podman.Podman("inspect", "--format", "{{.State.Status}}", id).Stdout.Trim());
        Assert.Equal(0, _podman.Podman("unpause", id).ExitCode);
        Assert.Equal("running", _podman.Podman("inspect", "--format", "{{.State.Status}}", id).Stdout.Trim());
        Assert.Equal(0, _podman.Podman("rm", "-f", "-t", "0", id).ExitCode);
    }
}

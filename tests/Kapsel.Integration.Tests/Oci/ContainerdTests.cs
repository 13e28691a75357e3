namespace Kapsel.Integration.Tests.Oci;

/// <summary>containerd 1.6's runc shim driving kapsel-runc (`ctr run --runc-binary`).</summary>
public sealed class ContainerdTests : IDisposable
{
    private readonly ContainerdHarness _ctrd = new();

    public void Dispose()
    {
        var dir = _ctrd.Dir;
        var ns = _ctrd.Namespace;
        _ctrd.Dispose();
        Assert.Empty(HostLeaks.MountsUnder(dir));
        Assert.Empty(HostLeaks.ProcessesMentioning(dir));
        Assert.False(OciTestEnv.CgroupDirExists(ns), $"cgroup {ns} left behind");
        Assert.False(Directory.Exists(Path.Combine("/run/containerd/runc", ns)));
    }

    private Result Run(params string[] args) =>
        _ctrd.Ctr(["run", "--runc-binary", OciTestEnv.RuntimePath, .. args]);

    [NeedsContainerdFact]
    public void RunPrintsOutputAndPassesExitCodeThrough()
    {
        var r = Run("--rm", ContainerdHarness.Image, "t-echo", "echo", "hi");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hi\n", r.Stdout);
        r = Run("--rm", ContainerdHarness.Image, "t-exit", "sh", "-c", "exit 7");
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("", _ctrd.Ctr("containers", "ls", "-q").Stdout.Trim());
    }

    [NeedsContainerdFact]
    public void DetachedTaskExecPsPauseResumeKill()
    {
        var r = Run("-d", ContainerdHarness.Image, "t-bg", "sleep", "1000");
        Assert.True(r.ExitCode == 0, r.ToString());
        r = _ctrd.Ctr("task", "exec", "--exec-id", "e1", "t-bg", "sh", "-c", "echo inside; exit 4");
        Assert.Equal(4, r.ExitCode);
        Assert.Equal("inside\n", r.Stdout);

        r = _ctrd.Ctr("task", "ps", "t-bg");
        Assert.True(r.ExitCode == 0, r.ToString());
        var pid = _ctrd.Ctr("task", "ls").Stdout.Split('\n').Single(l => l.StartsWith("t-bg")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Contains(pid, r.Stdout);

        Assert.Equal(0, _ctrd.Ctr("task", "pause", "t-bg").ExitCode);
        Assert.Contains("PAUSED", _ctrd.Ctr("task", "ls").Stdout);
        Assert.Equal(0, _ctrd.Ctr("task", "resume", "t-bg").ExitCode);
        Assert.Contains("RUNNING", _ctrd.Ctr("task", "ls").Stdout);

        Assert.Equal(0, _ctrd.Ctr("task", "kill", "-s", "SIGKILL", "t-bg").ExitCode);
        var deadline = Environment.TickCount64 + 10_000;
        while (!_ctrd.Ctr("task", "ls").Stdout.Contains("STOPPED") && Environment.TickCount64 < deadline) Thread.Sleep(50);
        Assert.Contains("STOPPED", _ctrd.Ctr("task", "ls").Stdout);
        r = _ctrd.Ctr("task", "rm", "t-bg");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(0, _ctrd.Ctr("containers", "rm", "t-bg").ExitCode);
    }
}

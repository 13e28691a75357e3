using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using static Kapsel.Linux.Interop.MountCalls;
using static Kapsel.Linux.Interop.NamespaceCalls;

namespace Kapsel.Linux.Tests;

public sealed class SpawnTests : IDisposable
{
    private readonly BusyboxRootfs _rootfs = new();

    public void Dispose() => _rootfs.Dispose();

    /// <summary>A container-style plan: new namespaces, private mounts, pivot_root into the rootfs, exec.</summary>
    private SpawnPlan ContainerPlan(string[] argv, int stdoutFd = 1, ulong extraFlags = 0)
    {
        var plan = new SpawnPlan { CloneFlags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | extraFlags };
        if ((extraFlags & CLONE_NEWUSER) != 0)
            plan.UserNamespaceMappings = new IdMappings([new(0, 100000, 65536)], [new(0, 100000, 65536)]);
        var r = _rootfs.Path;
        plan.Mount(null, "/", null, MS_REC | MS_PRIVATE)
            .Mount(r, r, null, MS_BIND | MS_REC)
            .Mount("proc", r + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            .SetHostname("kapseltest")
            .Chdir(r).PivotRoot(".", ".").Umount(".", MNT_DETACH).Chdir("/");
        if (stdoutFd != 1) plan.Dup(stdoutFd, 1);
        plan.CloseOnExecFrom(3);
        plan.Execve(argv[0], argv, ["PATH=/bin"]);
        return plan;
    }

    private (ExitStatus Status, string Output) Run(string[] argv, ulong extraFlags = 0)
    {
        var (rd, wr) = FileCalls.Pipe();
        try
        {
            using var plan = ContainerPlan(argv, wr, extraFlags);
            using var child = Spawner.Spawn(plan);
            FileCalls.Close(wr);
            wr = -1;
            child.WaitForExec();
            var buf = new byte[4096];
            var n = FileCalls.ReadFull(rd, buf);
            return (child.Wait(), System.Text.Encoding.UTF8.GetString(buf, 0, n));
        }
        finally
        {
            FileCalls.Close(rd);
            FileCalls.Close(wr);
        }
    }

    [Fact]
    public void RunsCommandInNewNamespaces()
    {
        var (status, output) = Run(["/bin/sh", "-c", "echo $$ $(hostname); exit 3"]);
        Assert.Equal(3, status.Code);
        Assert.Equal("1 kapseltest\n", output);
    }

    [Fact]
    public void UserNamespaceMapsRootToHostRange()
    {
        var (status, output) = Run(["/bin/cat", "/proc/self/uid_map"], CLONE_NEWUSER);
        Assert.Equal(0, status.Code);
        Assert.Equal(["0", "100000", "65536"], output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void JoinsPidAndMountNamespaceOfRunningContainer()
    {
        using var initPlan = ContainerPlan(["/bin/sleep", "30"]);
        using var init = Spawner.Spawn(initPlan);
        init.WaitForExec();
        var pidNs = FileCalls.Open($"/proc/{init.Pid}/ns/pid", FileCalls.O_RDONLY);
        var mntNs = FileCalls.Open($"/proc/{init.Pid}/ns/mnt", FileCalls.O_RDONLY);
        var (rd, wr) = FileCalls.Pipe();
        try
        {
            using var plan = new SpawnPlan { JoinPidNamespaceFd = pidNs };
            plan.Setns(mntNs, CLONE_NEWNS, "mnt").Chdir("/").Dup(wr, 1).CloseOnExecFrom(3)
                .Execve("/bin/sh", ["sh", "-c", "echo $$; hostname"], ["PATH=/bin"]);
            using var exec = Spawner.Spawn(plan);
            FileCalls.Close(wr);
            wr = -1;
            exec.WaitForExec();
            var buf = new byte[256];
            var output = System.Text.Encoding.UTF8.GetString(buf, 0, FileCalls.ReadFull(rd, buf));
            Assert.Equal(0, exec.Wait().Code);
            Assert.Equal("2", output.Split('\n')[0]); // pid 2: the second process in the container's namespace
        }
        finally
        {
            FileCalls.Close(rd);
            FileCalls.Close(wr);
            FileCalls.Close(pidNs);
            FileCalls.Close(mntNs);
            init.Signal(ProcessCalls.SIGKILL);
            init.Wait();
        }
    }

    [Fact]
    public void MissingCommandFailsAtExecWith127()
    {
        var e = Assert.Throws<SpawnException>(() => Run(["/bin/nope"]));
        Assert.True(e.AtExec);
        Assert.Equal(127, e.ShellExitCode);
        Assert.Contains("execve(\"/bin/nope\")", e.Message);
        Assert.Contains("ENOENT", e.Message);
    }

    [Fact]
    public void NonExecutableFailsWith126()
    {
        var e = Assert.Throws<SpawnException>(() => Run(["/bin/notexec"]));
        Assert.Equal(126, e.ShellExitCode);
    }

    [Fact]
    public void FailingSetupStepIsNamed()
    {
        using var plan = new SpawnPlan { CloneFlags = CLONE_NEWNS };
        plan.Mount("none", "/nonexistent-kapsel-dir", "tmpfs", 0).Execve("/bin/true", ["true"], []);
        using var child = Spawner.Spawn(plan);
        var e = Assert.Throws<SpawnException>(child.WaitForExec);
        Assert.False(e.AtExec);
        Assert.Equal(125, e.ShellExitCode);
        Assert.Contains("mount(\"none\", \"/nonexistent-kapsel-dir\", \"tmpfs\"", e.Message);
    }

    /// <summary>A plan that runs one program to completion (the run step), then execs /bin/true.</summary>
    private static SpawnException? RunStep(string[] argv, int timeoutMs, string input, out string output)
    {
        var inPath = Path.GetTempFileName();
        var outPath = Path.GetTempFileName();
        File.WriteAllText(inPath, input);
        var inFd = FileCalls.Open(inPath, FileCalls.O_RDONLY);
        var outFd = FileCalls.Open(outPath, FileCalls.O_WRONLY | FileCalls.O_APPEND);
        try
        {
            using var plan = new SpawnPlan();
            plan.Dup(inFd, 100).Dup(outFd, 101)
                .Run("the program", argv[0], argv, ["X=1"], 100, 101, timeoutMs)
                .Execve("/bin/true", ["true"], []);
            using var child = Spawner.Spawn(plan);
            try { child.WaitForExec(); }
            catch (SpawnException e) { return e; }
            finally { child.Wait(); output = File.ReadAllText(outPath); }
            return null;
        }
        finally
        {
            FileCalls.Close(inFd);
            FileCalls.Close(outFd);
            File.Delete(inPath);
            File.Delete(outPath);
        }
    }

    [Fact]
    public void RunStepGivesStdinEnvAndOutputAndWaits()
    {
        Assert.Null(RunStep(["/bin/sh", "-c", "read line; echo \"$line $X\"; ls /proc/self/fd"], 0, "state\n", out var output));
        Assert.Equal("state 1\n0\n1\n2\n3\n", output); // 3 is ls's own directory fd: nothing else leaked
    }

    [Fact]
    public void RunStepReportsExitStatusSignalTimeoutAndExecFailure()
    {
        var e = RunStep(["/bin/sh", "-c", "echo out; exit 5"], 0, "", out var output);
        Assert.Equal("the program failed: exit status 5", e!.Message);
        Assert.Equal("out\n", output);
        Assert.Contains("killed by signal 9", RunStep(["/bin/sh", "-c", "kill -9 $$"], 0, "", out _)!.Message);
        var started = Environment.TickCount64;
        Assert.Contains("ETIMEDOUT", RunStep(["/bin/sleep", "30"], 300, "", out _)!.Message);
        Assert.InRange(Environment.TickCount64 - started, 250, 10_000);
        e = RunStep(["/nonexistent/program"], 0, "", out _);
        Assert.Contains("ENOENT", e!.Message);
        Assert.False(e.AtExec);
    }
}

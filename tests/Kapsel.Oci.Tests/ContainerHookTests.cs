using System.Text.Json;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

/// <summary>
/// createContainer and startContainer hooks run in the container's namespaces (runtime-spec
/// config.md#posix-platform-hooks): createContainer after the mounts, before pivot_root, with its
/// path resolved in the runtime's namespace; startContainer after `start`, before the user process,
/// with its path resolved in the container.
/// </summary>
public sealed class ContainerHookTests
{
    private static string HostMountNs() => new FileInfo("/proc/self/ns/mnt").LinkTarget!;

    private static string Script(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        return path;
    }

    private static void AssertNothingLeft(BusyboxBundle b, string id)
    {
        Assert.False(Directory.Exists(Path.Combine(b.Root, id)), "state directory left behind");
        Assert.False(Directory.Exists($"/sys/fs/cgroup/memory/kapsel-runc/{id}"), "v1 cgroup left behind");
        Assert.False(Directory.Exists($"/sys/fs/cgroup/kapsel-runc/{id}"), "v2 cgroup left behind");
        Assert.DoesNotContain(b.Dir, File.ReadAllText("/proc/self/mountinfo"));
    }

    [Fact]
    public void CreateContainerHookRunsInTheContainersMountNamespaceBeforePivotRoot()
    {
        using var b = new BusyboxBundle();
        var log = Path.Combine(b.Dir, "create.log");
        // Outside the rootfs: only reachable when the path is resolved in the runtime's namespace.
        var hook = Script(Path.Combine(b.Dir, "create-hook.sh"),
            $"cat > {log}.state\n" +
            $"readlink /proc/self/ns/mnt > {log}\n" +
            // Before pivot_root the rootfs is at its host path, with the container's own /proc mounted on it.
            $"test -d {b.Rootfs}/proc/1 && echo container-proc >> {log}\n" +
            $"test -x {b.Rootfs}/bin/busybox && echo rootfs >> {log}");
        b.Spec.Hooks = new HooksSpec { CreateContainer = [new HookSpec { Path = hook, Args = ["create-hook"] }] };
        b.Spec.Process!.Args = ["sh", "-c", "readlink /proc/self/ns/mnt > /tmp/mnt"];
        b.Save();

        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "cc1");
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(log);
        Assert.Equal(3, lines.Length);
        Assert.NotEqual(HostMountNs(), lines[0]);
        Assert.Equal(File.ReadAllText(Path.Combine(b.Rootfs, "tmp/mnt")).Trim(), lines[0]); // the container's own
        Assert.Equal("container-proc", lines[1]);
        Assert.Equal("rootfs", lines[2]);
        var state = JsonDocument.Parse(File.ReadAllText(log + ".state")).RootElement;
        Assert.Equal("cc1", state.GetProperty("id").GetString());
        Assert.Equal("creating", state.GetProperty("status").GetString());
        Assert.True(state.GetProperty("pid").GetInt32() > 1); // as the host sees it
        Assert.Equal(b.Dir, state.GetProperty("bundle").GetString());
        AssertNothingLeft(b, "cc1");
    }

    [Fact]
    public void StartContainerHookRunsInTheContainerAfterStartBeforeTheProcess()
    {
        using var b = new BusyboxBundle();
        // Only in the rootfs: the path is resolved in the container.
        Script(Path.Combine(b.Rootfs, "start-hook.sh"),
            "cat > /tmp/start.state\nreadlink /proc/self/ns/mnt > /tmp/start.mnt\nhostname > /tmp/start.host\n" +
            "test -e /bin/busybox && test ! -e /start-marker && echo in-container >> /tmp/start.log");
        b.Spec.Hooks = new HooksSpec { StartContainer = [new HookSpec { Path = "/start-hook.sh", Env = ["A=1"] }] };
        b.Spec.Hostname = "hooked";
        b.Spec.Process!.Args = ["sh", "-c", "test -f /tmp/start.mnt && readlink /proc/self/ns/mnt > /tmp/process.mnt"];
        b.Save();

        Assert.Equal(0, b.Oci("create", "--bundle", b.Dir, "sc1").Code);
        Assert.False(File.Exists(Path.Combine(b.Rootfs, "tmp/start.mnt")), "startContainer hook ran before start");
        var (code, _, err) = b.Oci("start", "sc1");
        Assert.True(code == 0, err);
        var hookNs = File.ReadAllText(Path.Combine(b.Rootfs, "tmp/start.mnt")).Trim();
        Assert.NotEqual(HostMountNs(), hookNs);
        var deadline = Environment.TickCount64 + 10_000;
        while (!File.Exists(Path.Combine(b.Rootfs, "tmp/process.mnt")) && Environment.TickCount64 < deadline) Thread.Sleep(10);
        Assert.Equal(File.ReadAllText(Path.Combine(b.Rootfs, "tmp/process.mnt")).Trim(), hookNs);
        Assert.Equal("hooked", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/start.host")).Trim());
        Assert.Equal("in-container", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/start.log")).Trim());
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(b.Rootfs, "tmp/start.state"))).RootElement;
        Assert.Equal("sc1", state.GetProperty("id").GetString());
        Assert.Equal("created", state.GetProperty("status").GetString());
        Assert.True(state.GetProperty("pid").GetInt32() > 1);
        Assert.Equal(0, b.Oci("delete", "--force", "sc1").Code);
    }

    [Fact]
    public void FailingCreateContainerHookFailsCreateNamingTheHookAndLeavesNothing()
    {
        using var b = new BusyboxBundle(s => s.Hooks = new HooksSpec
        {
            CreateContainer =
            [
                new HookSpec { Path = "/bin/true" },
                new HookSpec { Path = "/bin/sh", Args = ["sh", "-c", "echo boom >&2; exit 3"] },
            ],
        });
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "cf1");
        Assert.NotEqual(0, code);
        Assert.Contains("createContainer hook #1 (/bin/sh)", err);
        Assert.Contains("exit status 3", err);
        Assert.Contains("boom", err);
        AssertNothingLeft(b, "cf1");
    }

    [Fact]
    public void MissingOrSlowCreateContainerHookIsReportedAndLeavesNothing()
    {
        using var b = new BusyboxBundle(s => s.Hooks = new HooksSpec
        {
            CreateContainer = [new HookSpec { Path = "/nonexistent/hook" }],
        });
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "cf2");
        Assert.NotEqual(0, code);
        Assert.Contains("createContainer hook #0 (/nonexistent/hook)", err);
        Assert.Contains("ENOENT", err);
        AssertNothingLeft(b, "cf2");

        b.Spec.Hooks = new HooksSpec { CreateContainer = [new HookSpec { Path = "/bin/sleep", Args = ["sleep", "30"], Timeout = 1 }] };
        b.Save();
        var started = Environment.TickCount64;
        (code, _, err) = b.Oci("create", "--bundle", b.Dir, "cf3");
        Assert.NotEqual(0, code);
        Assert.Contains("createContainer hook #0 (/bin/sleep, timeout 1 s)", err);
        Assert.Contains("ETIMEDOUT", err);
        Assert.True(Environment.TickCount64 - started < 10_000);
        AssertNothingLeft(b, "cf3");
    }

    [Fact]
    public void FailingStartContainerHookFailsStartAndRunLeavesNothing()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Hooks = new HooksSpec { StartContainer = [new HookSpec { Path = "/bin/sh", Args = ["sh", "-c", "echo nope; exit 4"] }] };
            s.Process!.Args = ["sh", "-c", "touch /tmp/process-ran"];
        });
        Assert.Equal(0, b.Oci("create", "--bundle", b.Dir, "sf1").Code);
        var (code, _, err) = b.Oci("start", "sf1");
        Assert.NotEqual(0, code);
        Assert.Contains("startContainer hook #0 (/bin/sh)", err);
        Assert.Contains("exit status 4", err);
        Assert.Contains("nope", err);
        Assert.False(File.Exists(Path.Combine(b.Rootfs, "tmp/process-ran")));
        Assert.Contains("\"stopped\"", b.Oci("state", "sf1").Out);
        Assert.Equal(0, b.Oci("delete", "sf1").Code);
        AssertNothingLeft(b, "sf1");

        (code, _, err) = b.Oci("run", "--bundle", b.Dir, "sf2");
        Assert.NotEqual(0, code);
        Assert.Contains("startContainer hook #0", err);
        Assert.False(File.Exists(Path.Combine(b.Rootfs, "tmp/process-ran")));
        AssertNothingLeft(b, "sf2");
    }

    [Fact]
    public void StartReportsAFailedExecve()
    {
        using var b = new BusyboxBundle(s => s.Process!.Args = ["/bin/sh", "-c", "true"]);
        Assert.Equal(0, b.Oci("create", "--bundle", b.Dir, "se1").Code);
        File.Delete(Path.Combine(b.Rootfs, "bin/sh")); // gone between create and start
        var (code, _, err) = b.Oci("start", "se1");
        Assert.Equal(127, code);
        Assert.Contains("execve(\"/bin/sh\")", err);
        Assert.Equal(0, b.Oci("delete", "--force", "se1").Code);
    }
}

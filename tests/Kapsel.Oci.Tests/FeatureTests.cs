using System.Text.Json;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

/// <summary>Hooks, update, events --stats and time namespace offsets, through the CLI in-process.</summary>
public sealed class FeatureTests
{
    private static string CgroupFile(string id, string controller, string file) =>
        Path.Combine("/sys/fs/cgroup", controller, "kapsel-runc", id, file) is var v1 && File.Exists(v1) ? v1
            : Path.Combine("/sys/fs/cgroup/kapsel-runc", id, file);

    private static HookSpec Hook(string log, string phase, int? timeout = null) => new()
    {
        Path = "/bin/sh", Args = ["sh", "-c", $"cat >> {log}; echo ' {phase}' >> {log}"], Timeout = timeout,
    };

    [Fact]
    public void HooksGetTheStateOnStdinInLifecycleOrder()
    {
        string log = "";
        using var b = new BusyboxBundle(s =>
        {
            log = Path.Combine(Path.GetTempPath(), "kapsel-hooks-" + Guid.NewGuid().ToString("N"));
            s.Process!.Args = ["true"];
            s.Hooks = new HooksSpec
            {
                Prestart = [Hook(log, "prestart")], CreateRuntime = [Hook(log, "createRuntime")],
                CreateContainer = [Hook(log, "createContainer")],
                Poststart = [Hook(log, "poststart")], Poststop = [Hook(log, "poststop")],
            };
        });
        try
        {
            var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "h1");
            Assert.True(code == 0, err);
            var lines = File.ReadAllLines(log);
            Assert.Equal(5, lines.Length);
            var phases = lines.Select(l => l[(l.LastIndexOf(' ') + 1)..]).ToArray();
            Assert.Equal(["prestart", "createRuntime", "createContainer", "poststart", "poststop"], phases);
            var states = lines.Select(l => JsonDocument.Parse(l[..l.LastIndexOf(' ')]).RootElement).ToArray();
            Assert.All(states, s => Assert.Equal("h1", s.GetProperty("id").GetString()));
            Assert.All(states, s => Assert.Equal(b.Dir, s.GetProperty("bundle").GetString()));
            Assert.Equal(["creating", "creating", "creating", "running", "stopped"], states.Select(s => s.GetProperty("status").GetString()!).ToArray());
            Assert.True(states[0].GetProperty("pid").GetInt32() > 0);
            Assert.Equal(states[0].GetProperty("pid").GetInt32(), states[2].GetProperty("pid").GetInt32());
        }
        finally { File.Delete(log); }
    }

    [Fact]
    public void HookTimeoutFailsCreateAndLeavesNothing()
    {
        using var b = new BusyboxBundle(s => s.Hooks = new HooksSpec
        {
            Prestart = [new HookSpec { Path = "/bin/sleep", Args = ["sleep", "30"], Timeout = 1 }],
        });
        var started = Environment.TickCount64;
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "h2");
        Assert.NotEqual(0, code);
        Assert.Contains("prestart hook #0", err);
        Assert.Contains("timed out after 1 s", err);
        Assert.True(Environment.TickCount64 - started < 10_000);
        Assert.False(Directory.Exists(Path.Combine(b.Root, "h2")));
        Assert.False(Directory.Exists("/sys/fs/cgroup/memory/kapsel-runc/h2"));
        Assert.DoesNotContain(b.Dir, File.ReadAllText("/proc/self/mountinfo"));
    }

    [Fact]
    public void SystemdCgroupWhereSystemdDoesNotRunIsAOneLineError()
    {
        if (Directory.Exists("/run/systemd/system")) return; // a systemd host: the scope would be created
        using var b = new BusyboxBundle(s => s.Linux!.CgroupsPath = "machine.slice:kapsel:sd1");
        var (code, _, err) = b.Oci("--systemd-cgroup", "create", "--bundle", b.Dir, "sd1");
        Assert.NotEqual(0, code);
        Assert.Contains("--systemd-cgroup: systemd is not running on this host", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(b.Root, "sd1")));
    }

    [Fact]
    public void UpdateChangesTheMemoryAndPidsLimits()
    {
        using var b = new BusyboxBundle(s => s.Linux!.Resources = new ResourcesSpec { Memory = new MemorySpec { Limit = 64L << 20 } });
        Assert.Equal(0, b.Oci("run", "--detach", "--bundle", b.Dir, "u1").Code);
        Assert.Equal((64L << 20).ToString(), File.ReadAllText(CgroupFile("u1", "memory", "memory.limit_in_bytes")).Trim());
        var (code, _, err) = b.Oci("update", "--memory", (96L << 20).ToString(), "--pids-limit", "50", "u1");
        Assert.True(code == 0, err);
        Assert.Equal((96L << 20).ToString(), File.ReadAllText(CgroupFile("u1", "memory", "memory.limit_in_bytes")).Trim());
        Assert.Equal("50", File.ReadAllText(CgroupFile("u1", "pids", "pids.max")).Trim());
        Assert.Equal(0, b.Oci("delete", "--force", "u1").Code);
    }

    [Fact]
    public void EventsStatsPrintsOneJsonLine()
    {
        using var b = new BusyboxBundle(s => s.Linux!.Resources = new ResourcesSpec { Memory = new MemorySpec { Limit = 64L << 20 } });
        Assert.Equal(0, b.Oci("run", "--detach", "--bundle", b.Dir, "e1").Code);
        var (code, output, err) = b.Oci("events", "--stats", "e1");
        Assert.True(code == 0, err);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var doc = JsonDocument.Parse(line).RootElement;
        Assert.Equal("stats", doc.GetProperty("type").GetString());
        Assert.Equal("e1", doc.GetProperty("id").GetString());
        var data = doc.GetProperty("data");
        Assert.Equal(64L << 20, data.GetProperty("memory").GetProperty("usage").GetProperty("limit").GetInt64());
        Assert.True(data.GetProperty("pids").GetProperty("current").GetInt64() >= 1);
        Assert.Equal(0, b.Oci("delete", "--force", "e1").Code);
    }

    [Fact]
    public void TimeNamespaceOffsetsShiftUptime()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces!.Add(new NamespaceSpec { Type = "time" });
            s.Linux.TimeOffsets = new Dictionary<string, TimeOffsetSpec>
            {
                ["boottime"] = new() { Secs = 864000 }, ["monotonic"] = new() { Secs = 864000 },
            };
            s.Process!.Args = ["sh", "-c", "cat /proc/uptime > /tmp/uptime"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "t1");
        Assert.True(code == 0, err);
        var inside = double.Parse(File.ReadAllText(Path.Combine(b.Rootfs, "tmp/uptime")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        var host = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(inside - host, 864000 - 60, 864000 + 60);
    }

    [Fact]
    public void KillOfAStoppedContainerSaysNotRunningLikeRunc()
    {
        using var b = new BusyboxBundle(s => s.Process!.Args = ["true"]);
        Assert.Equal(0, b.Oci("run", "--detach", "--bundle", b.Dir, "k1").Code);
        var deadline = Environment.TickCount64 + 10_000;
        while (Environment.TickCount64 < deadline && !b.Oci("state", "k1").Out.Contains("\"stopped\"")) Thread.Sleep(20);
        var (code, _, err) = b.Oci("kill", "k1", "KILL");
        Assert.NotEqual(0, code);
        Assert.Contains("container not running", err); // containerd's shim matches this text
        Assert.Equal(0, b.Oci("delete", "k1").Code);
    }
}

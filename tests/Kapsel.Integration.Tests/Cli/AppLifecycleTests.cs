using System.Text.Json;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// Docker's habits at the app level through the real binary: detached instances under their
/// monitor, logs, exec, stop/start/kill/wait, restart policies, volumes and binds, limits, users,
/// read-only roots, capabilities, and removal leaving nothing behind.
/// </summary>
public sealed class AppLifecycleTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();

    public AppLifecycleTests()
    {
        var images = Path.Combine(KapselBinary.RepoRoot, ".build/test-images/images");
        if (Directory.Exists(images)) KapselBinary.Exec("cp", ["-a", "--reflink=auto", images, _kapsel.Root]);
    }

    public void Dispose()
    {
        _kapsel.Dispose();
        Assert.Empty(HostLeaks.ProcessesMentioning(_kapsel.Root));
        Assert.Empty(_kapsel.HostLinks());
    }

    private Result Ok(params string[] args)
    {
        var r = _kapsel.Run(args);
        Assert.True(r.ExitCode == 0, $"kapsel {string.Join(' ', args)}: {r}");
        return r;
    }

    private JsonElement Inspect(string name) => JsonDocument.Parse(Ok("inspect", name).Stdout).RootElement[0];

    private void WaitUntil(Func<bool> condition, string what, string? instance = null)
    {
        for (var i = 0; i < 100 && !condition(); i++) Thread.Sleep(100);
        Assert.True(condition(), $"timed out waiting until {what}" + (instance is null ? "" : $"; inspect: {_kapsel.Run("inspect", instance)}"));
    }

    [Fact]
    public void DetachedInstanceLogsExecsStopsStartsAndRecordsExitCodes()
    {
        const string script = "echo out-$RUN; echo err >&2; trap 'echo term; exit 3' TERM; while true; do sleep 0.1; done";
        var id = Ok("run", "-d", "--name", "svc", "-e", "RUN=1", "busybox", "sh", "-c", script).Stdout.Trim();
        Assert.Equal(64, id.Length);
        WaitUntil(() => _kapsel.Run("logs", "svc").Stderr.Contains("err"), "stderr is logged");
        var logs = Ok("logs", "svc");
        Assert.Equal("out-1", logs.Stdout.Trim());
        Assert.Equal("err", logs.Stderr.Trim());
        Assert.Equal("running", Inspect("svc").GetProperty("state").GetString());

        var exec = _kapsel.Run("exec", "-e", "X=y", "svc", "sh", "-c", "echo $X $RUN $$; exit 5");
        Assert.Equal(5, exec.ExitCode);
        Assert.StartsWith("y 1 ", exec.Stdout);

        Ok("stop", "svc");
        var stopped = Inspect("svc");
        Assert.Equal("stopped", stopped.GetProperty("state").GetString());
        Assert.Equal(3, stopped.GetProperty("exitCode").GetInt32());
        Assert.Contains("term", Ok("logs", "svc").Stdout);
        Assert.Equal("3", Ok("wait", "svc").Stdout.Trim());
        Assert.Contains("Exited (3)", Ok("ps", "-a").Stdout);
        Assert.DoesNotContain("svc", Ok("ps").Stdout);

        Ok("start", "svc");
        Assert.Equal("running", Inspect("svc").GetProperty("state").GetString());
        Ok("kill", "svc");
        Assert.Equal("137", Ok("wait", "svc").Stdout.Trim());

        var tail = Ok("logs", "--tail", "1", "-t", "svc");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (out-1|err)$", (tail.Stdout + tail.Stderr).Trim()); // one line, either stream
        Ok("rm", "svc");
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
    }

    [Fact]
    public void MonitorLeavesTheCgroupOfTheKapselThatStartedIt()
    {
        Ok("run", "-d", "--name", "watched", "busybox", "sleep", "600");
        var pid = Inspect("watched").GetProperty("pid").GetInt32();
        var monitor = int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(' ')[3]); // the monitor is the init's parent
        var cgroups = File.ReadAllText($"/proc/{monitor}/cgroup");
        if (Directory.Exists("/run/systemd/system")) Assert.Contains("/system.slice/kapsel-monitor-", cgroups);
        else Assert.Contains(":/kapsel/monitors\n", cgroups);
        Ok("rm", "-f", "watched");
    }

    [Fact]
    public void FollowingLogsEndsWhenTheInstanceStops()
    {
        Ok("run", "-d", "--name", "counter", "busybox", "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done");
        var follow = Ok("logs", "-f", "counter");
        Assert.Equal("line1\nline2\nline3", follow.Stdout.Trim());
        Assert.Equal("0", Ok("wait", "counter").Stdout.Trim());
    }

    [Fact]
    public void RestartPolicyRestartsOnFailureUpToItsLimitButNotAfterStop()
    {
        Ok("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo attempt; exit 1");
        // One snapshot per look: two inspects could see "stopped" from one attempt and the count from the next.
        WaitUntil(() => Inspect("flaky") is var i && i.GetProperty("state").GetString() == "stopped" && i.GetProperty("restartCount").GetInt32() == 2,
            "two restarts happened and it stopped", "flaky");
        Assert.Equal(3, Ok("logs", "flaky").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(1, Inspect("flaky").GetProperty("exitCode").GetInt32());

        Ok("run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "60");
        Ok("stop", "-t", "0", "always");
        Thread.Sleep(500);
        var after = Inspect("always");
        Assert.Equal("stopped", after.GetProperty("state").GetString());
        Assert.Equal(0, after.GetProperty("restartCount").GetInt32());
    }

    [Fact]
    public void NamedVolumesPersistBindsAndReadOnlyMountsWork()
    {
        Ok("volume", "create", "data");
        Ok("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/f");
        var ro = _kapsel.Run("run", "--rm", "-v", "data:/data:ro", "busybox", "sh", "-c", "cat /data/f; echo x > /data/g; echo write=$?");
        Assert.Contains("kept", ro.Stdout);
        Assert.Contains("write=1", ro.Stdout);

        var host = Directory.CreateTempSubdirectory("kapsel-bind-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(host, "in"), "from-host");
            Ok("run", "--rm", "-v", $"{host}:/mnt/h", "busybox", "sh", "-c", "cat /mnt/h/in > /mnt/h/out");
            Assert.Equal("from-host", File.ReadAllText(Path.Combine(host, "out")));
        }
        finally { Directory.Delete(host, true); }

        Ok("run", "--name", "user", "-v", "data:/data", "busybox", "true");
        var inUse = _kapsel.Run("volume", "rm", "data");
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("in use", inUse.Stderr);
        Ok("rm", "user");
        Ok("volume", "rm", "data");

        // An anonymous volume lives and dies with its --rm instance.
        Ok("run", "--rm", "-v", "/scratch", "busybox", "sh", "-c", "echo x > /scratch/y");
        Assert.Equal("[]", Ok("volume", "ls", "--format", "json").Stdout.Trim());
    }

    [Fact]
    public void UserLimitsReadOnlyRootEntrypointAndCapabilities()
    {
        var user = Ok("run", "--rm", "-u", "nobody", "debian:bookworm", "sh", "-c", "id -u; id -g; echo $HOME");
        Assert.Equal("65534\n65534\n/nonexistent", user.Stdout.Trim());
        Assert.Equal("1000:1001", Ok("run", "--rm", "-u", "1000:1001", "busybox", "sh", "-c", "echo $(id -u):$(id -g)").Stdout.Trim());
        var unknown = _kapsel.Run("run", "--rm", "-u", "nosuchuser", "debian:bookworm", "true");
        Assert.Equal(125, unknown.ExitCode);
        Assert.Contains("nosuchuser", unknown.Stderr);

        var limits = Ok("run", "--rm", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", "busybox", "sh", "-c",
            "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; " +
            "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max");
        Assert.Equal("67108864\n50", limits.Stdout.Trim());

        var ro = _kapsel.Run("run", "--rm", "--read-only", "busybox", "sh", "-c", "touch /x; echo root=$?; touch /tmp/x 2>/dev/null; touch /dev/shm/y; echo shm=$?");
        Assert.Contains("root=1", ro.Stdout);
        Assert.Contains("shm=0", ro.Stdout);

        Assert.Equal("a b", Ok("run", "--rm", "--entrypoint", "/bin/echo", "busybox", "a", "b").Stdout.Trim());

        var caps = Ok("run", "--rm", "--cap-add", "NET_ADMIN", "--cap-drop", "chown", "--network", "none", "busybox", "sh", "-c",
            "ip link set lo mtu 1500; echo netadmin=$?; chown 5 /etc; echo chown=$?");
        Assert.Contains("netadmin=0", caps.Stdout);
        Assert.Contains("chown=1", caps.Stdout);
        Assert.Equal(125, _kapsel.Run("run", "--rm", "--cap-add", "NOT_A_CAP", "busybox", "true").ExitCode);
    }

    [Fact]
    public void ImageVolumesAndStopSignalAreApplied()
    {
        var context = Directory.CreateTempSubdirectory("kapsel-ctx-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(context, "Containerfile"),
                "FROM busybox\nVOLUME /data\nSTOPSIGNAL SIGUSR1\nCMD [\"sh\", \"-c\", \"trap 'exit 42' USR1; echo x > /data/f; while true; do sleep 0.1; done\"]\n");
            Ok("build", "-t", "localhost/vol:1", context);
        }
        finally { Directory.Delete(context, true); }
        Ok("run", "-d", "--name", "vol", "localhost/vol:1");
        var config = Inspect("vol").GetProperty("config");
        Assert.Equal("SIGUSR1", config.GetProperty("stopSignal").GetString());
        var mount = config.GetProperty("mounts")[0];
        Assert.Equal("/data", mount.GetProperty("destination").GetString());
        Assert.True(mount.GetProperty("anonymous").GetBoolean());
        Ok("stop", "-t", "5", "vol");
        Assert.Equal(42, Inspect("vol").GetProperty("exitCode").GetInt32());
        Assert.Single(JsonDocument.Parse(Ok("volume", "ls", "--format", "json").Stdout).RootElement.EnumerateArray());
        Ok("rm", "vol");
        Assert.Equal("[]", Ok("volume", "ls", "--format", "json").Stdout.Trim()); // the anonymous volume went with it
    }

    [Fact]
    public void AttachStreamsInputAndOutputOfADetachedInteractiveInstance()
    {
        Ok("run", "-d", "-i", "--name", "reader", "busybox", "sh", "-c", "read line; echo got:$line; exit 7");
        var attached = KapselBinary.Exec(KapselBinary.Path, ["--root", _kapsel.Root, "attach", "reader"],
            new Dictionary<string, string> { ["KAPSEL_LINK_PREFIX"] = _kapsel.LinkPrefix, ["KAPSEL_NFT_TABLE"] = _kapsel.NftTable },
            stdin: "hello\n", timeoutMs: 30_000);
        Assert.Equal(7, attached.ExitCode);
        Assert.Equal("got:hello", attached.Stdout.Trim());
        Assert.Contains("got:hello", Ok("logs", "reader").Stdout);
        Assert.Equal(125, _kapsel.Run("attach", "reader").ExitCode); // stopped now
    }

    [Fact]
    public void CpCopiesBothWaysInsideTheInstancesOwnView()
    {
        var host = Directory.CreateTempSubdirectory("kapsel-cp-").FullName;
        try
        {
            Ok("run", "-d", "--name", "box", "-v", "/vol", "busybox", "sh", "-c",
                "mkdir -p /srv/d && echo inside > /srv/d/f && ln -s / /srv/escape && sleep 300");
            WaitUntilFile(() => _kapsel.Run("exec", "box", "test", "-L", "/srv/escape").ExitCode == 0);

            Ok("cp", "box:/srv/d", host);
            Assert.Equal("inside\n", File.ReadAllText(Path.Combine(host, "d", "f")));
            Ok("cp", "box:/srv/d/f", Path.Combine(host, "renamed"));
            Assert.Equal("inside\n", File.ReadAllText(Path.Combine(host, "renamed")));
            // A symlink inside the instance resolves in its own root, never the host's.
            Ok("cp", "box:/srv/escape/etc/hostname", Path.Combine(host, "hn"));
            Assert.NotEqual(File.ReadAllText("/etc/hostname"), File.ReadAllText(Path.Combine(host, "hn")));

            File.WriteAllText(Path.Combine(host, "in.txt"), "from host");
            Ok("cp", Path.Combine(host, "in.txt"), "box:/vol/");
            Ok("cp", Path.Combine(host, "in.txt"), "box:/srv/other.txt");
            Assert.Equal("from host\nfrom host", Ok("exec", "box", "sh", "-c", "cat /vol/in.txt; echo; cat /srv/other.txt").Stdout.Trim());

            var missing = _kapsel.Run("cp", "box:/no/such", host);
            Assert.Equal(125, missing.ExitCode);
            Assert.Single(missing.Stderr.Trim().Split('\n'));
            Assert.Empty(Directory.GetDirectories(host, ".kapsel-cp-*"));

            // '-' is a tar stream on stdout/stdin (docker's cp), never a host path named "-".
            var k = $"{KapselBinary.Path} --root {_kapsel.Root}";
            Ok("exec", "box", "ln", "-s", "/nowhere", "/srv/dangling");
            var listed = KapselBinary.Exec("bash", ["-c", $"set -o pipefail; {k} cp box:/srv/d - | tar -tv; {k} cp box:/srv/dangling - | tar -tv"], timeoutMs: 30_000);
            Assert.True(listed.ExitCode == 0, listed.ToString());
            Assert.Contains("d/f", listed.Stdout);
            Assert.Contains("dangling -> /nowhere", listed.Stdout);
            var piped = KapselBinary.Exec("bash", ["-c", $"cd {host} && tar -c in.txt | {k} cp - box:/srv/d/"], timeoutMs: 30_000);
            Assert.True(piped.ExitCode == 0, piped.ToString());
            Assert.Equal("from host", Ok("exec", "box", "cat", "/srv/d/in.txt").Stdout);
            Assert.False(Path.Exists(Path.Combine(host, "-")));
            // A reader that leaves early ends the copy quietly (the shell's SIGPIPE status), not with a stack or a hang.
            var early = KapselBinary.Exec("bash", ["-c", $"{k} cp box:/bin - | head -c 100 >/dev/null; echo ${{PIPESTATUS[0]}}"], timeoutMs: 30_000);
            Assert.DoesNotContain("Exception", early.Stderr);
            Assert.True(early.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 1, early.ToString());
            Assert.Contains(early.Stdout.Trim(), new[] { "125", "141" });
            var notDir = _kapsel.Run("cp", "-", "box:/srv/other.txt");
            Assert.Equal(125, notDir.ExitCode);
            Assert.Contains("existing directory", notDir.Stderr);
        }
        finally { Directory.Delete(host, true); }
    }

    private static void WaitUntilFile(Func<bool> condition)
    {
        for (var i = 0; i < 50 && !condition(); i++) Thread.Sleep(100);
    }

    [Fact]
    public void StatsAndTopReadTheInstanceCgroup()
    {
        Ok("run", "-d", "--name", "busy", "--memory", "32m", "busybox", "sh", "-c", "sleep 300 & sleep 301");
        var stats = Ok("stats", "--no-stream", "busy").Stdout;
        Assert.Contains("busy", stats);
        Assert.Contains("/ 32MB", stats);
        var top = Ok("top", "busy").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, top.Length); // header and the two sleeps (sh execs its last command)
        Assert.Contains(top, l => l.EndsWith("sleep 300"));
        Assert.Contains(top, l => l.EndsWith("sleep 301"));
        Ok("rm", "-f", "busy");
        Assert.Equal(125, _kapsel.Run("top", "busy").ExitCode);
    }

    [Fact]
    public void TerminalOutputOfADetachedInstanceIsLogged()
    {
        Ok("run", "-d", "-t", "--name", "tty", "busybox", "sh", "-c", "tty; echo $TERM");
        Assert.Equal("0", Ok("wait", "tty").Stdout.Trim());
        var logs = Ok("logs", "tty").Stdout;
        Assert.Contains("/dev/pts/0", logs);
        Assert.DoesNotContain("\r", logs);
    }

    [Fact]
    public void ForceRemovingARunningInstanceLeavesNothing()
    {
        var port = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        port.Start();
        var free = ((System.Net.IPEndPoint)port.LocalEndpoint).Port;
        port.Stop();
        Ok("run", "-d", "--name", "victim", "-v", "/anon", "-p", $"{free}:80", "busybox", "sleep", "60");
        Ok("rm", "-f", "victim");
        Assert.Equal("", Ok("ps", "-a", "-q").Stdout.Trim());
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
        Assert.Equal("[]", Ok("volume", "ls", "--format", "json").Stdout.Trim());
        Assert.DoesNotContain(_kapsel.HostLinks(), l => l.StartsWith(_kapsel.LinkPrefix + "v-"));
    }

    [Fact]
    public void BadRunOptionsAreOneLineAndLeaveNothing()
    {
        foreach (var args in new[]
        {
            new[] { "--restart", "sometimes" }, ["--memory", "lots"], ["-v", "rel/path:/x"], ["-v", "/tmp:relative"],
            ["--cpus", "-1"], ["--stop-signal", "SIGNOPE"], ["--restart", "always", "--rm"], ["--mount", "type=nfs,target=/x"],
        })
        {
            var r = _kapsel.Run(["run", "-d", .. args, "busybox", "true"]);
            Assert.True(r.ExitCode == 125, $"{string.Join(' ', args)}: {r}");
            Assert.StartsWith("kapsel: ", r.Stderr);
        }
        var missing = _kapsel.Run("run", "--rm", "-v", "/no/such/dir:/x", "busybox", "true");
        Assert.Equal(125, missing.ExitCode);
        Assert.Contains("/no/such/dir", missing.Stderr);
        Assert.Equal("", Ok("ps", "-a", "-q").Stdout.Trim());
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
    }
}

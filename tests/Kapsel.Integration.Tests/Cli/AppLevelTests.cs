namespace Kapsel.Integration.Tests.Cli;

/// <summary>The app level (the default) end to end: the built-in busybox image through Kapsel's OCI runtime.</summary>
public sealed class AppLevelTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();
    // Instance cgroups that existed before this test (other Kapsel users of this host): not ours to judge.
    private readonly HashSet<string> _cgroupsBefore = [.. CgroupDirsNamedKapsel()];

    public void Dispose()
    {
        try
        {
            Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
            Assert.Empty(HostLeaks.ProcessesMentioning(_kapsel.Root));
            Assert.Empty(CgroupDirsNamedKapsel().Where(d => !_cgroupsBefore.Contains(d)));
        }
        finally { _kapsel.Dispose(); } // a failed check must not leave the root, its networks or its nft table behind
    }

    private static IEnumerable<string> CgroupDirsNamedKapsel() =>
        Directory.GetDirectories("/sys/fs/cgroup").SelectMany(h => Directory.Exists(Path.Combine(h, "kapsel"))
            ? Directory.GetDirectories(Path.Combine(h, "kapsel")) : []);

    [Fact]
    public void RunsInOwnNamespacesWithSecureDefaults()
    {
        var r = _kapsel.Run("run", "--rm", "busybox", "--", "/bin/sh", "-c",
            "echo $$; readlink /proc/self/ns/net; grep -E 'NoNewPrivs|Seccomp:' /proc/self/status; ip -o addr show lo | grep -c 127.0.0.1; exit 4");
        Assert.Equal(4, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.Equal("1", lines[0]); // pid 1 of its own pid namespace
        Assert.NotEqual(new FileInfo("/proc/self/ns/net").LinkTarget, lines[1]);
        Assert.Contains("NoNewPrivs:\t1", r.Stdout);
        Assert.Contains("Seccomp:\t2", r.Stdout);
        Assert.Equal("1", lines[4]); // loopback up
        Assert.DoesNotContain("warning", r.Stderr);
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
    }

    [Fact]
    public void SeccompAndCapabilitiesRefuseHostChanges()
    {
        var r = _kapsel.Run("run", "--rm", "busybox", "--", "/bin/sh", "-c", "mount -t tmpfs none /mnt; echo mount=$?; hostname evil; echo host=$?");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("mount=1", r.Stdout);
        Assert.Contains("host=1", r.Stdout);
    }

    [Fact]
    public void KeptInstanceIsListedAndRemovable()
    {
        Assert.Equal(0, _kapsel.Run("run", "--name", "app1", "-e", "GREETING=hi", "-w", "/tmp", "busybox", "--", "/bin/sh", "-c", "echo $GREETING > f; pwd").ExitCode);
        var ps = _kapsel.Run("ps", "-a", "--format", "json");
        Assert.Contains("\"name\": \"app1\"", ps.Stdout);
        Assert.Contains("\"level\": \"app\"", ps.Stdout);
        Assert.Single(HostLeaks.MountsUnder(_kapsel.Root)); // the overlay stays until rm
        Assert.Equal(0, _kapsel.Run("rm", "app1").ExitCode);
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
    }

    [Fact]
    public void MissingCommandIs127AndNothingIsLeft()
    {
        var r = _kapsel.Run("run", "--rm", "busybox", "--", "no-such-command");
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("no-such-command", r.Stderr);
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
        Assert.Equal("[]", _kapsel.Run("ps", "-a", "--format", "json").Stdout.Trim());
    }
}

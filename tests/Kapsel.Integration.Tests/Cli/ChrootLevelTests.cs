namespace Kapsel.Integration.Tests.Cli;

/// <summary>The chroot level end to end through the real kapsel binary.</summary>
public sealed class ChrootLevelTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();

    public void Dispose()
    {
        try
        {
            Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
            Assert.Empty(HostLeaks.ProcessesMentioning(_kapsel.Root));
        }
        finally { _kapsel.Dispose(); }
    }

    [Fact]
    public void RunPrintsOutputAndPassesExitCodeThrough()
    {
        var r = _kapsel.Run("run", "--level", "chroot", "--rm", "busybox", "--", "/bin/sh", "-c", "echo hello; exit 3");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("hello\n", r.Stdout);
        Assert.Contains("warning: the chroot level isolates only the filesystem view", r.Stderr);
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
        Assert.Equal("[]", _kapsel.Run("ps", "-a", "--format", "json").Stdout.Trim());
    }

    [Fact]
    public void SharesHostNamespacesButSeesImageFilesystem()
    {
        var r = _kapsel.Run("run", "--level", "chroot", "--rm", "busybox", "--", "/bin/sh", "-c",
            "readlink /proc/self/ns/net; readlink /proc/self/ns/pid; cat /etc/os-release | head -1; ls /sys/fs/cgroup >/dev/null && echo sys-ok; ls /dev/null");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.Equal(new FileInfo("/proc/self/ns/net").LinkTarget, lines[0]);
        Assert.Equal(new FileInfo("/proc/self/ns/pid").LinkTarget, lines[1]);
        Assert.Equal("NAME=BusyBox", lines[2]);
        Assert.Equal("sys-ok", lines[3]);
        Assert.Equal("/dev/null", lines[4]);
    }

    [Fact]
    public void KeptInstanceKeepsItsChangesAndLeavesTheImageAlone()
    {
        var r = _kapsel.Run("run", "--level", "chroot", "--name", "keeper", "busybox", "--", "/bin/sh", "-c", "echo data > /root/file");
        Assert.Equal(0, r.ExitCode);
        var ps = _kapsel.Run("ps", "-a", "--format", "json");
        Assert.Contains("\"name\": \"keeper\"", ps.Stdout);
        Assert.Contains("\"exitCode\": 0", ps.Stdout);
        Assert.Contains("\"level\": \"chroot\"", ps.Stdout);
        var id = _kapsel.Run("ps", "-aq").Stdout.Trim();
        Assert.Equal(12, id.Length);
        Assert.Equal("data\n", File.ReadAllText(Directory.GetFiles(Path.Combine(_kapsel.Root, "instances"), "file", SearchOption.AllDirectories).Single()));
        Assert.False(File.Exists(Path.Combine(_kapsel.Root, "images/busybox/latest/rootfs/root/file")));

        var taken = _kapsel.Run("run", "--level", "chroot", "--name", "keeper", "busybox", "true");
        Assert.Equal(125, taken.ExitCode);
        Assert.Contains("already in use", taken.Stderr);

        Assert.Equal(0, _kapsel.Run("rm", "keeper").ExitCode);
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
        Assert.Equal(1, _kapsel.Run("rm", "keeper").ExitCode);
    }

    [Fact]
    public void MissingCommandExits127AndNonExecutable126()
    {
        var missing = _kapsel.Run("run", "--level", "chroot", "--rm", "busybox", "--", "no-such-command");
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("executable file not found in $PATH", missing.Stderr);
        var missingPath = _kapsel.Run("run", "--level", "chroot", "--rm", "busybox", "--", "/bin/nope");
        Assert.Equal(127, missingPath.ExitCode);
        var notExec = _kapsel.Run("run", "--level", "chroot", "--rm", "busybox", "--", "/etc/passwd");
        Assert.Equal(126, notExec.ExitCode);
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
        Assert.Equal("[]", _kapsel.Run("ps", "-a", "--format", "json").Stdout.Trim());
    }

    [Fact]
    public void UnknownImageIsOneLineError125()
    {
        // A registry reference that can't be pulled (nothing listens on 127.0.0.1:9; tests never leave the host).
        var r = _kapsel.Run("run", "--level", "chroot", "--rm", "127.0.0.1:9/no-such-image:1", "true");
        Assert.Equal(125, r.ExitCode);
        var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("warning")).ToList();
        Assert.Single(errors);
        Assert.Contains("no-such-image", errors[0]);
        Assert.Contains("Connection refused", errors[0]);
        var bad = _kapsel.Run("run", "--level", "chroot", "--rm", "Bad..Ref", "true");
        Assert.Equal(125, bad.ExitCode);
        Assert.Contains("invalid image reference", bad.Stderr);
    }

    [Fact]
    public void NonRootCallerIsRefused()
    {
        var r = KapselBinary.Exec("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", KapselBinary.Path, "--root", _kapsel.Root,
            "run", "--level", "chroot", "--rm", "busybox", "true"]);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("needs root", r.Stderr);
    }

    [Fact]
    public void MissingBusyboxIsClearError()
    {
        var env = new Dictionary<string, string> { ["KAPSEL_BUSYBOX"] = "/nonexistent/busybox", ["KAPSEL_NO_APT"] = "1" };
        var r = _kapsel.RunWith(env, "run", "--level", "chroot", "--rm", "busybox", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("busybox-static", r.Stderr);
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Path.Combine(_kapsel.Root, "images", "busybox")), e => !e.EndsWith(".lock"));
    }

    [Fact]
    public void MissingDebootstrapIsClearError()
    {
        var env = new Dictionary<string, string> { ["KAPSEL_DEBOOTSTRAP"] = "/nonexistent/debootstrap", ["KAPSEL_NO_APT"] = "1" };
        var r = _kapsel.RunWith(env, "image", "pull", "debian:bookworm");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("debootstrap", r.Stderr);
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Path.Combine(_kapsel.Root, "images", "debian")), e => !e.EndsWith(".lock"));
    }

    [Fact]
    public void UsageErrorsAndHelp()
    {
        Assert.Equal(0, _kapsel.Run("--help").ExitCode);
        var help = _kapsel.Run("run", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Usage: kapsel run", help.Stdout);
        var unknown = _kapsel.Run("frobnicate");
        Assert.Equal(125, unknown.ExitCode);
        Assert.Contains("unknown command", unknown.Stderr);
        var badLevel = _kapsel.Run("run", "--level", "nope", "busybox", "true");
        Assert.Equal(125, badLevel.ExitCode);
        Assert.Contains("unknown level", badLevel.Stderr);
        var badFormat = _kapsel.Run("ps", "--format", "yaml");
        Assert.Equal(125, badFormat.ExitCode);
    }

    [Fact]
    public void ImagesListAsTableAndJson()
    {
        Assert.Equal(0, _kapsel.Run("image", "pull", "busybox").ExitCode);
        var table = _kapsel.Run("image", "ls");
        Assert.Contains("busybox", table.Stdout);
        Assert.StartsWith("REPOSITORY", table.Stdout);
        var json = _kapsel.Run("images", "--format", "json");
        Assert.Contains("\"name\": \"busybox\"", json.Stdout);
    }

    [Fact]
    public void InstanceWhoseWatcherWasKilledIsShownStoppedAndRemovable()
    {
        Assert.Equal(0, _kapsel.Run("image", "pull", "busybox").ExitCode);
        var psi = new System.Diagnostics.ProcessStartInfo(KapselBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--root", _kapsel.Root, "run", "--level", "chroot", "--name", "orphan", "busybox", "--", "/bin/sleep", "60" })
            psi.ArgumentList.Add(a);
        using var kapsel = System.Diagnostics.Process.Start(psi)!;
        int? pid = null;
        for (var i = 0; i < 100 && pid is null; i++)
        {
            Thread.Sleep(50);
            var json = _kapsel.Run("ps", "--format", "json").Stdout;
            var m = System.Text.RegularExpressions.Regex.Match(json, "\"pid\": (\\d+)");
            if (m.Success) pid = int.Parse(m.Groups[1].Value);
        }
        Assert.NotNull(pid);
        kapsel.Kill();            // SIGKILL: no chance to record the exit
        kapsel.WaitForExit();
        Kapsel.Linux.Interop.ProcessCalls.Kill(pid.Value, 9);
        for (var i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++) Thread.Sleep(20);

        var ps = _kapsel.Run("ps", "-a");
        Assert.Contains("Exited (unknown)", ps.Stdout);
        Assert.Equal("[]", _kapsel.Run("ps", "--format", "json").Stdout.Trim());
        Assert.Equal(0, _kapsel.Run("rm", "orphan").ExitCode);
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
    }

    [Fact]
    public void ConcurrentRunsShareTheStateStore()
    {
        Assert.Equal(0, _kapsel.Run("image", "pull", "busybox").ExitCode);
        var results = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8)
            .Select(i => _kapsel.Run("run", "--level", "chroot", "--name", $"par{i}", "busybox", "--", "/bin/sh", "-c", $"exit {i}")).ToList();
        Assert.Equal(Enumerable.Range(0, 8), results.Select(r => r.ExitCode).Order());
        var ps = _kapsel.Run("ps", "-a", "--format", "json").Stdout;
        for (var i = 0; i < 8; i++) Assert.Contains($"\"name\": \"par{i}\"", ps);
        Assert.Equal(0, _kapsel.Run(["rm", .. Enumerable.Range(0, 8).Select(i => $"par{i}")]).ExitCode);
    }
}

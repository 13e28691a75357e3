using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// A run that fails at any step — network setup, a mount, the spawn of the process — leaves no
/// record, directory, mount, cgroup, veth, lease or process behind, in the foreground, with
/// --rm and detached (the verification-findings issue: a failed compare left ghosts).
/// </summary>
public sealed class FailedRunTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();

    public void Dispose() => _kapsel.Dispose();

    private static readonly string[][] Modes = [["run"], ["run", "--rm"], ["run", "-d"]];

    private void FailsAndLeavesNothing(string step, string mentions, string[] options, string[] command)
    {
        foreach (var mode in Modes)
        {
            var cgroupsBefore = HostLeaks.InstanceCgroups();
            var linksBefore = _kapsel.HostLinks().Where(l => !l.Contains("b-")).ToList(); // bridges stay: the network is not the run's
            var r = _kapsel.Run([.. mode, .. options, "busybox", .. command]);
            var what = $"{step}, kapsel {string.Join(' ', mode)}";
            Assert.True(r.ExitCode is 125 or 126 or 127, $"{what}: {r}");
            Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(mentions, r.Stderr);

            Assert.True(_kapsel.Run("ps", "-a", "-q").Stdout.Trim() == "", $"{what}: a record stayed: {_kapsel.Run("ps", "-a")}");
            Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
            Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
            Assert.Empty(HostLeaks.ProcessesMentioning(_kapsel.Root));
            Assert.Equal(linksBefore, _kapsel.HostLinks().Where(l => !l.Contains("b-")).ToList());
            Assert.Empty(HostLeaks.LeakedInstanceCgroups(cgroupsBefore));
            foreach (var network in JsonDocument.Parse(_kapsel.Run("network", "inspect", "kapsel0").Stdout).RootElement.EnumerateArray())
                Assert.Equal(0, network.GetProperty("members").GetArrayLength());
        }
    }

    [Fact]
    public void FailingAtNetworkSetupLeavesNothing()
    {
        // The host port is taken: the failure comes after the veth and the lease exist.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        Assert.Equal(0, _kapsel.Run("run", "--rm", "busybox", "true").ExitCode); // the default network exists
        FailsAndLeavesNothing("published port in use", port.ToString(), ["-p", $"127.0.0.1:{port}:80"], ["sleep", "5"]);
    }

    [Fact]
    public void FailingAtAMountLeavesNothing()
    {
        // A file bound onto a directory of the image: the runtime's mount fails inside the new mount namespace.
        FailsAndLeavesNothing("bind of a file onto a directory", "/etc", ["-v", "/etc/hostname:/etc"], ["true"]);
    }

    [Fact]
    public void FailingAtTheSpawnLeavesNothing()
    {
        // The working directory is a file: the init's chdir fails after every mount and the cgroup exist.
        FailsAndLeavesNothing("working directory is a file", "/etc/passwd", ["-w", "/etc/passwd"], ["true"]);
        FailsAndLeavesNothing("command missing", "no-such-command", [], ["no-such-command"]);
    }
}

using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

/// <summary>
/// Configs and rootfs contents that tried to reach the host (the hostile-input issue): each runs a
/// real container and then checks the host file, hostname or sysctl it aimed at.
/// </summary>
public sealed class HostileConfigTests : IDisposable
{
    private readonly string _host = Directory.CreateTempSubdirectory("kapsel-hostile-host-").FullName;

    public void Dispose() => Directory.Delete(_host, recursive: true);

    /// <summary>A host file of mode 0600, owner 0:0, the container must not change.</summary>
    private string Victim()
    {
        var path = Path.Combine(_host, "victim");
        File.WriteAllText(path, "host secret");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static (UnixFileMode Mode, long Uid, long Gid) Owner(string path)
    {
        var st = Kapsel.Linux.Fs.FileStatus.Lstat(path);
        return ((UnixFileMode)(st.Mode & 0xfff), st.Uid, st.Gid);
    }

    [Fact]
    public void DeviceThroughASymlinkedDirectoryNeverChangesTheHostFile()
    {
        var victim = Victim();
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Devices = [new DeviceSpec { Path = "/fzdir/victim", Type = "c", Major = 1, Minor = 3, FileMode = 0x1b6, Uid = 4242, Gid = 4242 }];
            s.Process!.Args = ["true"];
        });
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "fzdir"), _host);
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "hostile-dev1");
        Assert.True(code == 0, err);
        Assert.Equal((UnixFileMode.UserRead | UnixFileMode.UserWrite, 0L, 0L), Owner(victim));
        Assert.Equal("host secret", File.ReadAllText(victim));
    }

    [Fact]
    public void DefaultDeviceOverASymlinkToAHostFileLeavesTheHostFileAlone()
    {
        var victim = Victim();
        using var b = new BusyboxBundle(s =>
        {
            s.Mounts = s.Mounts!.Where(m => m.Destination != "/dev" && !m.Destination.StartsWith("/dev/")).ToList();
            s.Process!.Args = ["true"];
        });
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "dev/null"), victim);
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "hostile-dev2");
        Assert.True(code == 0, err);
        Assert.Equal((UnixFileMode.UserRead | UnixFileMode.UserWrite, 0L, 0L), Owner(victim));
    }

    [Fact]
    public void DevicePathWithDotDotStaysInsideTheRootfs()
    {
        var outside = Path.Combine(_host, "x");
        // From the rootfs, enough ".." reach "/" and then this test's directory on the host.
        var path = string.Concat(Enumerable.Repeat("/..", 12)) + outside;
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Devices = [new DeviceSpec { Path = path, Type = "c", Major = 1, Minor = 3, FileMode = 0x1b6 }];
            s.Process!.Args = ["sh", "-c", $"ls -l {outside} > /tmp/ls"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "hostile-dev3");
        Assert.True(code == 0, err);
        Assert.False(File.Exists(outside) || Directory.Exists(outside), "a device node was made on the host");
        Assert.StartsWith("crw-rw-rw-", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/ls")));
    }
}

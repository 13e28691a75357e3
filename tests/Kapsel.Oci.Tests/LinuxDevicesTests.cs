using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

/// <summary>linux.devices are created in the container even where linux.resources.devices denies them.</summary>
public sealed class LinuxDevicesTests
{
    [Fact]
    public void DevicesDeniedByTheCgroupAreStillCreatedButNotUsable()
    {
        // The default spec's resources deny every device but the standard ones.
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Devices =
            [
                new DeviceSpec { Path = "/dev/test-char", Type = "c", Major = 10, Minor = 666, FileMode = 0x1b0 /* 0660 */, Uid = 0, Gid = 0 },
                new DeviceSpec { Path = "/dev/test-block", Type = "b", Major = 8, Minor = 666, FileMode = 0x1b0, Uid = 0, Gid = 0 },
                new DeviceSpec { Path = "/dev/test-fifo", Type = "p", FileMode = 0x1b0 },
            ];
            s.Process!.Args = ["sh", "-c", "ls -l /dev/test-char /dev/test-block /dev/test-fifo > /tmp/ls; cat /dev/test-char 2> /tmp/open; true"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "dev1");
        Assert.True(code == 0, err);
        var ls = File.ReadAllLines(Path.Combine(b.Rootfs, "tmp/ls"));
        Assert.Equal(3, ls.Length);
        Assert.Contains(ls, l => l.StartsWith("crw-rw----") && l.Contains("10, 666"));
        Assert.Contains(ls, l => l.StartsWith("brw-rw----") && l.Contains("8, 666"));
        Assert.Contains(ls, l => l.StartsWith("prw-rw----"));
        // The device cgroup still applies to the process: EPERM, not the driver's ENXIO.
        Assert.Contains("Operation not permitted", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/open")));
    }
}

using Kapsel.Linux.Cgroups;

namespace Kapsel.Linux.Tests.Cgroups;

public sealed class SystemdCgroupPathTests
{
    [Theory]
    [InlineData("system.slice:docker:abc", "/system.slice/docker-abc.scope")]
    [InlineData("machine.slice:libpod:123", "/machine.slice/libpod-123.scope")]
    [InlineData("a-b.slice:kapsel:c1", "/a.slice/a-b.slice/kapsel-c1.scope")]
    [InlineData("-.slice:kapsel:c1", "/kapsel-c1.scope")]
    [InlineData(":kapsel:c1", "/system.slice/kapsel-c1.scope")]
    [InlineData("system.slice::c1", "/system.slice/c1.scope")]
    [InlineData("kubepods.slice:cri:kubepods-besteffort.slice", "/kubepods.slice/kubepods-besteffort.slice")]
    public void ConvertsToTheCgroupSystemdCreates(string cgroupsPath, string expected) =>
        Assert.Equal(expected, SystemdCgroupPath.Parse(cgroupsPath).CgroupPath);

    [Fact]
    public void ExpandsNestedSlices() =>
        Assert.Equal("/a.slice/a-b.slice/a-b-c.slice", SystemdCgroupPath.ExpandSlice("a-b-c.slice"));

    [Theory]
    [InlineData("system.slice:docker")]
    [InlineData("system.slice:docker:")]
    [InlineData("notaslice:docker:abc")]
    [InlineData("a--b.slice:x:y")]
    [InlineData("-a.slice:x:y")]
    [InlineData("sys/tem.slice:x:y")]
    public void RejectsMalformedPaths(string cgroupsPath) =>
        Assert.Throws<ArgumentException>(() => SystemdCgroupPath.Parse(cgroupsPath));

    [Fact]
    public void RecognisesTheForm()
    {
        Assert.True(SystemdCgroupPath.IsSystemdForm("system.slice:docker:abc"));
        Assert.False(SystemdCgroupPath.IsSystemdForm("/docker/abc"));
        Assert.False(SystemdCgroupPath.IsSystemdForm("kapsel/abc"));
    }

    [Fact]
    public void SystemdIsNotAvailableHere()
    {
        // HOST.md: PID 1 is not systemd on the build machines.
        if (File.ReadAllText("/proc/1/comm").Trim() != "systemd") Assert.False(SystemdCgroupPath.SystemdAvailable());
    }
}

namespace Kapsel.Integration.Tests.Oci;

/// <summary>dockerd 20.10 with `--add-runtime kapsel=kapsel-runc` and `docker run --runtime kapsel`.</summary>
public sealed class DockerTests
{
    [NeedsDockerFact]
    public void RunExecKillThroughDocker()
    {
        string dir, parent;
        using (var docker = new DockerHarness())
        {
            dir = docker.Dir;
            parent = docker.CgroupParent;
            var r = docker.Docker("run", "--rm", "--runtime", "kapsel", "--network", "none", DockerHarness.Image, "echo", "hi");
            Assert.True(r.ExitCode == 0, r + "\n" + docker.Log);
            Assert.Equal("hi\n", r.Stdout);
            r = docker.Docker("run", "--rm", "--runtime", "kapsel", "--network", "none", DockerHarness.Image, "sh", "-c", "exit 7");
            Assert.Equal(7, r.ExitCode);

            r = docker.Docker("run", "-d", "--runtime", "kapsel", "--network", "none", "--memory", "64m", DockerHarness.Image, "sleep", "1000");
            Assert.True(r.ExitCode == 0, r + "\n" + docker.Log);
            var id = r.Stdout.Trim();
            r = docker.Docker("exec", id, "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; exit 3");
            Assert.Equal(3, r.ExitCode);
            Assert.Equal("67108864\n", r.Stdout);
            Assert.Equal(0, docker.Docker("kill", id).ExitCode);
            Assert.Equal("137", docker.Docker("wait", id).Stdout.Trim());
            Assert.Equal(0, docker.Docker("rm", id).ExitCode);
        }
        Assert.Empty(HostLeaks.MountsUnder(dir));
        Assert.Empty(HostLeaks.ProcessesMentioning(dir));
        Assert.False(OciTestEnv.CgroupDirExists(parent));
    }
}

using Kapsel.Linux.Cgroups;

namespace Kapsel.Linux.Tests.Cgroups;

/// <summary>Layout detection and cgroupsPath resolution from sample texts, so every layout is covered on any host.</summary>
public sealed class CgroupLayoutTests
{
    private const string PureV2Mountinfo = """
        22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
        25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """;

    private const string HybridMountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    private const string HybridProcCgroup = """
        9:name=systemd:/
        8:pids:/
        4:memory:/process_api/594f
        2:cpuacct:/
        1:cpu:/
        0::/
        """;

    private const string CombinedV1Mountinfo = """
        33 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
        34 25 0:30 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory
        35 25 0:31 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
        36 25 0:32 /docker/abc /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices
        """;

    private static CgroupLayout Parse(string mountinfo, string procCgroup, string? v2Controllers = null) =>
        CgroupLayout.Parse(mountinfo, procCgroup, path => path.EndsWith("/cgroup.controllers") ? v2Controllers : null);

    [Fact]
    public void DetectsPureV2WithItsControllers()
    {
        var layout = Parse(PureV2Mountinfo, "0::/user.slice/session-2.scope\n", "cpuset cpu io memory hugetlb pids rdma misc\n");
        Assert.Equal(CgroupLayoutMode.Unified, layout.Mode);
        Assert.Empty(layout.Legacy);
        Assert.Equal("/sys/fs/cgroup", layout.Unified!.MountPoint);
        Assert.True(layout.Unified.Has("memory"));
        Assert.Equal("/sys/fs/cgroup/user.slice/session-2.scope", layout.Unified.CurrentDirectory);
    }

    [Fact]
    public void ResolvesAbsoluteAndRelativePathsOnV2()
    {
        var layout = Parse(PureV2Mountinfo, "0::/user.slice/session-2.scope\n", "memory pids");
        Assert.Equal(new Dictionary<string, string> { ["unified"] = "/sys/fs/cgroup/kapsel/c1" }, layout.ResolveDirectories("/kapsel/c1"));
        Assert.Equal("/sys/fs/cgroup/user.slice/session-2.scope/kapsel/c1", layout.ResolveDirectories("kapsel/c1")["unified"]);
    }

    [Fact]
    public void DetectsHybridWithSeparateCpuAndCpuacct()
    {
        var layout = Parse(HybridMountinfo, HybridProcCgroup, "hugetlb\n");
        Assert.Equal(CgroupLayoutMode.Hybrid, layout.Mode);
        Assert.Equal("/sys/fs/cgroup/cpu", layout.V1("cpu")!.MountPoint);
        Assert.Equal("/sys/fs/cgroup/cpuacct", layout.V1("cpuacct")!.MountPoint);
        Assert.Null(layout.V1("net_cls"));
        Assert.Null(layout.V1("hugetlb"));
        Assert.Equal(["hugetlb"], layout.Unified!.Controllers);
        Assert.Contains(layout.Legacy, h => h.Key == "name=systemd");
    }

    [Fact]
    public void RelativePathsFollowTheProcessCgroupOfEachHierarchy()
    {
        var dirs = Parse(HybridMountinfo, HybridProcCgroup, "hugetlb").ResolveDirectories("kapsel/c1");
        Assert.Equal("/sys/fs/cgroup/memory/process_api/594f/kapsel/c1", dirs["memory"]);
        Assert.Equal("/sys/fs/cgroup/cpu/kapsel/c1", dirs["cpu"]);
        Assert.Equal("/sys/fs/cgroup/unified/kapsel/c1", dirs["unified"]);
        Assert.Equal("/sys/fs/cgroup/systemd/kapsel/c1", dirs["name=systemd"]);
        Assert.Equal("/sys/fs/cgroup/memory/kapsel/c1", Parse(HybridMountinfo, HybridProcCgroup).ResolveDirectories("/kapsel/c1")["memory"]);
    }

    [Fact]
    public void DetectsLegacyWithCombinedCpuCpuacctAndBindMountedSubtree()
    {
        var layout = Parse(CombinedV1Mountinfo, "4:devices:/docker/abc\n3:cpu,cpuacct:/user.slice\n2:memory:/\n1:name=systemd:/init.scope\n");
        Assert.Equal(CgroupLayoutMode.Legacy, layout.Mode);
        Assert.Null(layout.Unified);
        Assert.Same(layout.V1("cpu"), layout.V1("cpuacct"));
        Assert.Equal("cpu,cpuacct", layout.V1("cpu")!.Key);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/user.slice/x", layout.V1("cpu")!.DirectoryFor("x"));
        // The devices mount shows /docker/abc at its mount point: our cgroup is that directory.
        Assert.Equal("/sys/fs/cgroup/devices/x", layout.V1("devices")!.DirectoryFor("x"));
    }

    [Fact]
    public void UnescapesMountPoints()
    {
        var layout = Parse("25 22 0:23 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n", "0::/\n", "");
        Assert.Equal("/sys/fs/my cgroup", layout.Unified!.MountPoint);
    }

    [Fact]
    public void RejectsPathsThatEscapeTheTree()
    {
        var layout = Parse(PureV2Mountinfo, "0::/\n", "");
        Assert.Throws<ArgumentException>(() => layout.ResolveDirectories("/a/../../etc"));
        Assert.Throws<ArgumentException>(() => layout.ResolveDirectories(""));
    }

    [Fact]
    public void NoCgroupMountIsAnError() =>
        Assert.Throws<CgroupException>(() => Parse("22 1 259:1 / / rw - ext4 /dev/vda1 rw\n", ""));

    [Fact]
    public void DetectsThisHost()
    {
        var layout = CgroupLayout.Detect();
        Assert.Contains(layout.Mode, new[] { CgroupLayoutMode.Unified, CgroupLayoutMode.Hybrid, CgroupLayoutMode.Legacy });
        foreach (var h in layout.Hierarchies) Assert.True(Directory.Exists(h.CurrentDirectory), h.CurrentDirectory);
    }
}

using Kapsel.Linux.Cgroups;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Tests.Cgroups;

/// <summary>
/// The pure-v2 manager, run for real on this host's cgroup2 mount: the layout is built from the
/// real mountinfo with only the cgroup2 line kept, so Kapsel treats it as a unified host. Here that
/// mount has only hugetlb, but freezing, cgroup.kill, CLONE_INTO_CGROUP and the eBPF device filter
/// are core cgroup2 features that work on any cgroup2 directory.
/// </summary>
[Collection(CgroupCollection.Name)]
public sealed class CgroupV2OnThisHostTests : IDisposable
{
    private readonly string _name = "kapsel-test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly CgroupLayout? _layout;
    private readonly SubtreeControlSnapshot _rootControllers = new(null);
    private ICgroup? _cgroup;

    public CgroupV2OnThisHostTests()
    {
        var unifiedOnly = string.Join("\n", File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(" - cgroup2 ")));
        if (unifiedOnly.Length == 0) return;
        _layout = CgroupLayout.Parse(unifiedOnly, File.ReadAllText("/proc/self/cgroup"), p => File.Exists(p) ? File.ReadAllText(p) : null);
        _rootControllers = new SubtreeControlSnapshot(_layout.Unified!.MountPoint);
    }

    public void Dispose()
    {
        _cgroup?.Delete(killProcesses: true);
        if (_layout is null) return;
        Assert.False(Directory.Exists(_layout.Unified!.DirectoryFor("/" + _name)));
        _rootControllers.Restore();
    }

    private ICgroup Create(CgroupResources? resources, out IReadOnlyList<string> warnings)
    {
        _cgroup = Cgroup.Create("/" + _name, resources, out warnings, _layout);
        return _cgroup;
    }

    [Fact]
    public void AppliesWhatTheMountHasAndWarnsAboutTheRest()
    {
        if (_layout is null) return;
        var cgroup = Create(new CgroupResources
        {
            Memory = new MemoryResources { Limit = 64 << 20, Swappiness = 10 },
            HugepageLimits = _layout.Unified!.Has("hugetlb") ? [new HugepageLimit("2MB", 4 << 20)] : null,
            Network = new NetworkResources { ClassId = 1 },
        }, out var warnings);
        Assert.Equal(CgroupLayoutMode.Unified, cgroup.Mode);
        var dir = cgroup.Directories["unified"];
        if (!_layout.Unified.Has("memory")) Assert.Contains(warnings, w => w.Contains("memory controller is not available"));
        Assert.Contains(warnings, w => w.Contains("net_cls"));
        if (_layout.Unified.Has("hugetlb"))
        {
            Assert.Contains("hugetlb", File.ReadAllText(Path.Combine(dir, "cgroup.controllers")));
            Assert.Equal((4 << 20).ToString(), File.ReadAllText(Path.Combine(dir, "hugetlb.2MB.max")).Trim());
            Assert.True(cgroup.Stats().Hugetlb.ContainsKey("2MB"));
        }
    }

    [Fact]
    public void UnknownUnifiedKeyFailsAndLeavesNothing()
    {
        if (_layout is null) return;
        var error = Assert.Throws<CgroupException>(() => Create(new CgroupResources
        {
            Unified = new Dictionary<string, string> { ["memory.high"] = "1G" },
        }, out _));
        _cgroup = null;
        Assert.Contains("memory.high", error.Message);
        Assert.False(Directory.Exists(_layout.Unified!.DirectoryFor("/" + _name)));
    }

    [Fact]
    public void StartsAProcessInsideWithCloneIntoCgroupThenFreezesAndKills()
    {
        if (_layout is null) return;
        var cgroup = Create(null, out _);
        var fd = cgroup.OpenV2DirectoryFd();
        Assert.True(fd >= 0);
        TestProcess process;
        try { process = TestProcess.Start(["/bin/sh", "-c", "sleep 30 & wait"], cgroupFd: fd); }
        finally { FileCalls.Close(fd); }
        using (process)
        {
            Assert.Contains(process.Pid, cgroup.Pids()); // in the cgroup before it even runs its command
            process.Release();
            Assert.True(SpinWait.SpinUntil(() => cgroup.Pids().Count == 2, 5000));

            cgroup.Freeze();
            Assert.Equal(CgroupFreezerState.Frozen, cgroup.FreezerState);
            cgroup.Thaw();
            Assert.Equal(CgroupFreezerState.Thawed, cgroup.FreezerState);

            cgroup.KillAll(ProcessCalls.SIGKILL); // cgroup.kill
            Assert.Equal(ProcessCalls.SIGKILL, process.WaitForExit().Status.Signal);
            Assert.True(SpinWait.SpinUntil(() => cgroup.Pids().Count == 0, 5000));
        }
    }

    [Fact]
    public void SignalsOtherThanKillGoThroughTheFreezer()
    {
        if (_layout is null) return;
        var cgroup = Create(null, out _);
        using var process = TestProcess.Start(["/bin/sleep", "30"]);
        cgroup.AddProcess(process.Pid);
        process.Release();
        cgroup.KillAll(ProcessCalls.SIGTERM);
        Assert.Equal(ProcessCalls.SIGTERM, process.WaitForExit().Status.Signal);
        Assert.Equal(CgroupFreezerState.Thawed, cgroup.FreezerState);
    }

    [Fact]
    public void DeviceFilterIsEnforcedAndReplacedOnUpdate()
    {
        if (_layout is null) return;
        var cgroup = Create(new CgroupResources { Devices = [DeviceRule.DenyAll, new DeviceRule(true, 'c', 1, 3, "rwm")] }, out _);
        Assert.Equal("null-ok\n", RunProbe(cgroup));

        cgroup.Apply(new CgroupResources { Devices = [DeviceRule.DenyAll, new DeviceRule(true, 'c', 1, null, "rw")] });
        Assert.Equal("null-ok\nzero-ok\n", RunProbe(cgroup));
        var dirFd = FileCalls.Open(cgroup.Directories["unified"], FileCalls.O_RDONLY | FileCalls.O_DIRECTORY);
        try { Assert.Single(DeviceFilterBpf.QueryAttached(dirFd, cgroup.Directories["unified"])); }
        finally { FileCalls.Close(dirFd); }

        // Last match wins: a later deny of /dev/zero overrides the earlier allow of major 1.
        cgroup.Apply(new CgroupResources { Devices = [DeviceRule.DenyAll, new DeviceRule(true, 'c', 1, null, "rw"), new DeviceRule(false, 'c', 1, 5, "r")] });
        Assert.Equal("null-ok\n", RunProbe(cgroup));
    }

    private static string RunProbe(ICgroup cgroup)
    {
        var fd = cgroup.OpenV2DirectoryFd();
        try
        {
            using var process = TestProcess.Start(["/bin/sh", "-c", DeviceProbe.Script], cgroupFd: fd, captureOutput: true);
            var (status, output) = process.Release().WaitForExit();
            Assert.Equal(0, status.Code);
            return output;
        }
        finally { FileCalls.Close(fd); }
    }
}

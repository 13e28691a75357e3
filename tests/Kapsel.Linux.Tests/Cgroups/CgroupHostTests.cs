using Kapsel.Linux.Cgroups;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Tests.Cgroups;

/// <summary>
/// Real cgroups on this host, with whatever layout it has (HOST.md: hybrid). Each test uses its own
/// kapsel-test-&lt;guid&gt; cgroup and removes it, killing anything left inside.
/// </summary>
[Collection(CgroupCollection.Name)]
public sealed class CgroupHostTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly string _name = "kapsel-test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<ICgroup> _cgroups = [];
    private readonly CgroupLayout _layout = CgroupLayout.Detect();
    private readonly SubtreeControlSnapshot _unifiedRootControllers;

    public CgroupHostTests() => _unifiedRootControllers = new SubtreeControlSnapshot(_layout.Unified?.MountPoint);

    private ICgroup Create(CgroupResources? resources = null, string? path = null)
    {
        var cgroup = Cgroup.Create(path ?? _name, resources, out _, _layout);
        _cgroups.Add(cgroup);
        return cgroup;
    }

    public void Dispose()
    {
        foreach (var cgroup in _cgroups) cgroup.Delete(killProcesses: true);
        foreach (var dir in _layout.ResolveDirectories(_name).Values.Concat(_layout.ResolveDirectories("/" + _name).Values))
            Assert.False(Directory.Exists(dir), $"{dir} was left behind");
        _unifiedRootControllers.Restore();
    }

    private static string ReadFile(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();

    private string Dir(string controller) =>
        _layout.Mode == CgroupLayoutMode.Unified ? _cgroups[0].Directories["unified"] : _cgroups[0].Directories[_layout.V1(controller)!.Key];

    [Fact]
    public void AppliesLimitsAndReadsThemBack()
    {
        var cgroup = Create(new CgroupResources
        {
            Memory = new MemoryResources { Limit = 64 * MiB, Reservation = 32 * MiB, Swap = 64 * MiB },
            Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 100000 },
            Pids = new PidsResources(20),
            HugepageLimits = [new HugepageLimit("2MB", (ulong)(4 * MiB))],
            Devices = [DeviceRule.DenyAll, new DeviceRule(true, 'c', 1, 3, "rwm")],
        });
        Assert.True(cgroup.Exists);
        Assert.Equal(_layout.Mode, cgroup.Mode);
        if (_layout.Mode == CgroupLayoutMode.Unified)
        {
            Assert.Equal((64 * MiB).ToString(), ReadFile(Dir("memory"), "memory.max"));
            Assert.Equal("50000 100000", ReadFile(Dir("cpu"), "cpu.max"));
            Assert.Equal("39", ReadFile(Dir("cpu"), "cpu.weight"));
            return;
        }
        Assert.Equal((64 * MiB).ToString(), ReadFile(Dir("memory"), "memory.limit_in_bytes"));
        Assert.Equal((32 * MiB).ToString(), ReadFile(Dir("memory"), "memory.soft_limit_in_bytes"));
        if (File.Exists(Path.Combine(Dir("memory"), "memory.memsw.limit_in_bytes")))
            Assert.Equal((64 * MiB).ToString(), ReadFile(Dir("memory"), "memory.memsw.limit_in_bytes"));
        Assert.Equal("512", ReadFile(Dir("cpu"), "cpu.shares"));
        Assert.Equal("50000", ReadFile(Dir("cpu"), "cpu.cfs_quota_us"));
        Assert.Equal("20", ReadFile(Dir("pids"), "pids.max"));
        Assert.Equal("c 1:3 rwm", ReadFile(Dir("devices"), "devices.list"));
        // Relative paths nest under this process's own cgroup (HOST.md: memory is /process_api/<hash>).
        Assert.StartsWith(_layout.V1("memory")!.CurrentDirectory + "/", Dir("memory"));
        if (_layout.Mode == CgroupLayoutMode.Hybrid && _layout.Unified!.Has("hugetlb") && _layout.V1("hugetlb") is null)
            Assert.Equal((4 * MiB).ToString(), ReadFile(cgroup.Directories["unified"], "hugetlb.2MB.max"));
    }

    [Fact]
    public void UpdatesMemoryAndSwapInEitherDirection()
    {
        var cgroup = Create(new CgroupResources { Memory = new MemoryResources { Limit = 64 * MiB, Swap = 64 * MiB } });
        // Raising needs memory+swap first, lowering needs the memory limit first (v1 keeps memory ≤ memsw).
        cgroup.Apply(new CgroupResources { Memory = new MemoryResources { Limit = 128 * MiB, Swap = 256 * MiB } });
        Assert.Equal((ulong)(128 * MiB), cgroup.Stats().Memory!.Usage.Limit);
        cgroup.Apply(new CgroupResources { Memory = new MemoryResources { Limit = 32 * MiB, Swap = 32 * MiB } });
        var memory = cgroup.Stats().Memory!;
        Assert.Equal((ulong)(32 * MiB), memory.Usage.Limit);
        if (memory.Swap is { } swap) Assert.Equal(_layout.Mode == CgroupLayoutMode.Unified ? 0UL : (ulong)(32 * MiB), swap.Limit);
    }

    [Fact]
    public void WorksOnAPureV1View()
    {
        // The same host seen without its cgroup2 mount: CgroupV1 alone.
        var legacyOnly = string.Join("\n", File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(" - cgroup ")));
        if (legacyOnly.Length == 0) return;
        var layout = CgroupLayout.Parse(legacyOnly, File.ReadAllText("/proc/self/cgroup"), _ => null);
        Assert.Equal(CgroupLayoutMode.Legacy, layout.Mode);
        var cgroup = Cgroup.Create(_name, new CgroupResources { Pids = new PidsResources(8) }, out _, layout);
        _cgroups.Add(cgroup);
        Assert.IsType<CgroupV1>(cgroup);
        Assert.DoesNotContain("unified", cgroup.Directories.Keys);
        using var process = TestProcess.Start(["/bin/sleep", "30"]);
        cgroup.AddProcess(process.Pid);
        process.Release();
        Assert.Equal([process.Pid], cgroup.Pids());
        Assert.Equal(8UL, cgroup.Stats().Pids!.Limit);
        cgroup.Delete(killProcesses: true);
        Assert.False(cgroup.Exists);
    }

    [Fact]
    public void WarnsAboutControllersThatAreNotMounted()
    {
        Create(new CgroupResources { Network = new NetworkResources { ClassId = 0x100001 } }, out var warnings);
        if (_layout.V1("net_cls") is null) Assert.Contains(warnings, w => w.Contains("net_cls"));
    }

    private void Create(CgroupResources resources, out IReadOnlyList<string> warnings) =>
        _cgroups.Add(Cgroup.Create(_name, resources, out warnings, _layout));

    [Fact]
    public void AbsolutePathsStartAtTheHierarchyRoots()
    {
        var cgroup = Create(path: "/" + _name);
        foreach (var (key, dir) in cgroup.Directories)
        {
            var hierarchy = _layout.Hierarchies.Single(h => h.Key == key);
            Assert.Equal(hierarchy.MountPoint + "/" + _name, dir);
            Assert.True(Directory.Exists(dir));
        }
        cgroup.Delete();
        Assert.False(cgroup.Exists);
    }

    [Fact]
    public void ImpossibleValueFailsClearlyAndLeavesNothing()
    {
        var error = Assert.Throws<CgroupException>(() =>
            Cgroup.Create(_name, new CgroupResources { Memory = new MemoryResources { Limit = -5 } }, out _, _layout));
        var file = _layout.Mode == CgroupLayoutMode.Unified ? "memory.max" : "memory.limit_in_bytes";
        Assert.Equal($"write {_layout.ResolveDirectories(_name)[(_layout.V1("memory") ?? _layout.Unified!).Key]}/{file} = \"-5\": EINVAL (Invalid argument)",
            error.Message);
        Assert.False(Cgroup.Open(_name, _layout).Exists);

        // A failure after other values were written removes the cgroup too.
        Assert.Throws<CgroupException>(() => Cgroup.Create(_name,
            new CgroupResources { Pids = new PidsResources(10), Cpu = new CpuResources { Cpus = "99" } }, out _, _layout));
        Assert.False(Cgroup.Open(_name, _layout).Exists);
    }

    [Fact]
    public void MemoryLimitIsEnforced()
    {
        var cgroup = Create(new CgroupResources { Memory = new MemoryResources { Limit = 32 * MiB, Swap = 32 * MiB } });
        using var process = TestProcess.Start(["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"]);
        cgroup.AddProcess(process.Pid);
        var (status, _) = process.Release().WaitForExit();
        Assert.Equal(ProcessCalls.SIGKILL, status.Signal);
        var memory = cgroup.Stats().Memory!;
        Assert.True(memory.OomKills >= 1 || memory.Usage.Failcnt >= 1, $"oom kills {memory.OomKills}, failcnt {memory.Usage.Failcnt}");
        Assert.Equal((ulong)(32 * MiB), memory.Usage.Limit);
    }

    [Fact]
    public void PidsLimitStopsForks()
    {
        var cgroup = Create(new CgroupResources { Pids = new PidsResources(5) });
        using var process = TestProcess.Start(["/bin/sh", "-c", "i=0; while [ $i -lt 10 ]; do sleep 30 & i=$((i+1)); done; wait"]);
        cgroup.AddProcess(process.Pid);
        process.Release();
        // The shell gives up at the first failed fork; the sleeps it started stay.
        Assert.True(SpinWait.SpinUntil(() => process.TryWait() is not null, 5000), "the shell was never refused a fork");
        var stats = cgroup.Stats().Pids!;
        Assert.Equal(5UL, stats.Limit);
        Assert.InRange(stats.Current, 1UL, 5UL);
        Assert.InRange(cgroup.Pids().Count, 1, 5);
        cgroup.KillAll(ProcessCalls.SIGKILL);
        Assert.True(SpinWait.SpinUntil(() => cgroup.Pids().Count == 0, 5000), "orphaned sleeps survived KillAll");
    }

    [Fact]
    public void FreezesAndThaws()
    {
        var cgroup = Create();
        using var process = TestProcess.Start(["/bin/sleep", "30"]);
        cgroup.AddProcess(process.Pid);
        process.Release();
        Assert.Equal(CgroupFreezerState.Thawed, cgroup.FreezerState);
        cgroup.Freeze();
        Assert.Equal(CgroupFreezerState.Frozen, cgroup.FreezerState);
        cgroup.Thaw();
        Assert.Equal(CgroupFreezerState.Thawed, cgroup.FreezerState);
        cgroup.KillAll(ProcessCalls.SIGTERM);
        Assert.Equal(ProcessCalls.SIGTERM, process.WaitForExit().Status.Signal);
    }

    [Fact]
    public void ListsAndKillsEveryProcessIncludingForks()
    {
        var cgroup = Create();
        using var process = TestProcess.Start(["/bin/sh", "-c", "sleep 30 & sleep 30 & wait"]);
        cgroup.AddProcess(process.Pid);
        process.Release();
        Assert.True(SpinWait.SpinUntil(() => cgroup.Pids().Count == 3, 5000), $"pids: {string.Join(",", cgroup.Pids())}");
        Assert.Contains(process.Pid, cgroup.Pids());
        cgroup.KillAll(ProcessCalls.SIGKILL);
        Assert.Equal(ProcessCalls.SIGKILL, process.WaitForExit().Status.Signal);
        Assert.True(SpinWait.SpinUntil(() => cgroup.Pids().Count == 0, 5000));
    }

    [Fact]
    public void ReportsStats()
    {
        var cgroup = Create(new CgroupResources { Memory = new MemoryResources { Limit = 256 * MiB }, Pids = new PidsResources(50) });
        using var process = TestProcess.Start(["/bin/sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 30"]);
        cgroup.AddProcess(process.Pid);
        process.Release();
        Assert.True(SpinWait.SpinUntil(() => cgroup.Stats().Cpu!.UsageTotalNs > 0, 5000));
        var stats = cgroup.Stats();
        Assert.True(stats.Pids!.Current >= 1);
        Assert.Equal(50UL, stats.Pids.Limit);
        Assert.True(stats.Memory!.Usage.Usage > 0);
        Assert.Equal((ulong)(256 * MiB), stats.Memory.Usage.Limit);
        Assert.NotEmpty(stats.Memory.Raw);
        Assert.NotNull(stats.Io);
    }

    [Fact]
    public void DeleteRefusesAPopulatedCgroupUnlessAskedToKill()
    {
        var cgroup = Create();
        using var process = TestProcess.Start(["/bin/sleep", "30"]);
        cgroup.AddProcess(process.Pid);
        process.Release();
        var error = Assert.Throws<CgroupException>(() => cgroup.Delete());
        Assert.Equal(Errnos.EBUSY, error.Errno);
        Assert.True(cgroup.Exists);
        cgroup.Delete(killProcesses: true);
        Assert.False(cgroup.Exists);
        Assert.Equal(ProcessCalls.SIGKILL, process.WaitForExit().Status.Signal);
    }

    [Fact]
    public void ReopensFromStoredDirectories()
    {
        var cgroup = Create();
        var reopened = Cgroup.Open(new Dictionary<string, string>(cgroup.Directories), _layout);
        Assert.True(reopened.Exists);
        Assert.Equal(cgroup.Directories.OrderBy(kv => kv.Key), reopened.Directories.OrderBy(kv => kv.Key));
        Assert.Equal(-1, _layout.Mode == CgroupLayoutMode.Unified ? -1 : reopened.OpenV2DirectoryFd());
    }

    [Fact]
    public void DeviceRulesAreEnforced()
    {
        var cgroup = Create(new CgroupResources { Devices = [DeviceRule.DenyAll, new DeviceRule(true, 'c', 1, 3, "rw")] });
        using var process = TestProcess.Start(["/bin/sh", "-c", DeviceProbe.Script], captureOutput: true);
        cgroup.AddProcess(process.Pid);
        var (status, output) = process.Release().WaitForExit();
        Assert.Equal(0, status.Code);
        Assert.Equal("null-ok\n", output);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CgroupCollection
{
    public const string Name = "cgroups";
}

internal static class DeviceProbe
{
    /// <summary>Prints which of /dev/null and /dev/zero the shell may open (stderr already points to /dev/null).</summary>
    public const string Script = "(: < /dev/null) && echo null-ok; (: < /dev/zero) && echo zero-ok; exit 0";
}

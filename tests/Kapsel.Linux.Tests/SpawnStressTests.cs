using System.Diagnostics;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Xunit.Abstractions;
using static Kapsel.Linux.Interop.MountCalls;
using static Kapsel.Linux.Interop.NamespaceCalls;

namespace Kapsel.Linux.Tests;

/// <summary>
/// HOST.md: a child that runs managed code after clone hangs when a GC was in progress. The
/// trampoline must make that impossible: thousands of spawns into fresh user/mount/pid/uts/ipc/net
/// namespaces while other threads allocate and force GCs, with no hang and nothing leaked.
/// </summary>
public sealed class SpawnStressTests(ITestOutputHelper output) : IDisposable
{
    private const int Spawns = 2000;
    private readonly BusyboxRootfs _rootfs = new();

    public void Dispose() => _rootfs.Dispose();

    [Fact]
    public void TwoThousandSpawnsUnderGcPressureNeitherHangNorLeak()
    {
        // Handles earlier tests dropped are finalized (and their fds closed) first: the forced GCs
        // below would otherwise close them mid-test and make "after" smaller than "before".
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var fdsBefore = Directory.GetFiles("/proc/self/fd").Length;
        var mountsBefore = MountsOfThisTest();
        using var stop = new CancellationTokenSource();
        var churners = Enumerable.Range(0, 2).Select(_ => new Thread(() => Churn(stop.Token)) { IsBackground = true }).ToList();
        churners.ForEach(t => t.Start());

        var gcBefore = GC.CollectionCount(2);
        var timings = new List<double>(Spawns);
        var sw = new Stopwatch();
        try
        {
            for (var i = 0; i < Spawns; i++)
            {
                sw.Restart();
                var status = SpawnOnce();
                timings.Add(sw.Elapsed.TotalMilliseconds);
                Assert.Equal(0, status.Code);
            }
        }
        finally
        {
            stop.Cancel();
            churners.ForEach(t => t.Join());
        }

        timings.Sort();
        output.WriteLine($"{Spawns} spawns: median {timings[Spawns / 2]:0.00} ms, p99 {timings[Spawns * 99 / 100]:0.00} ms, max {timings[^1]:0.00} ms; gen2 GCs during the run: {GC.CollectionCount(2) - gcBefore}");
        Assert.True(GC.CollectionCount(2) - gcBefore > 10, "the churn threads should have forced many full GCs");
        var fdsAfter = Directory.GetFiles("/proc/self/fd").Length;
        Assert.True(fdsAfter <= fdsBefore, $"fds leaked: {fdsBefore} before, {fdsAfter} after"); // fewer: something else's finalizer ran
        Assert.Equal(mountsBefore, MountsOfThisTest());
        Assert.Empty(ChildrenOfThisProcess());
    }

    /// <summary>
    /// The host's mounts this test could leak: those at or under its rootfs (a bind that escaped
    /// the child's mount namespace would show there). Counting every line of the host's mountinfo
    /// failed whenever another test assembly, running at the same time, mounted something.
    /// </summary>
    private List<string> MountsOfThisTest() =>
        [.. Kapsel.Linux.Fs.MountInfo.Own().Select(m => m.MountPoint).Where(p => p == _rootfs.Path || p.StartsWith(_rootfs.Path + "/", StringComparison.Ordinal))];

    /// <summary>One container start: a hang shows up as the pidfd never becoming readable.</summary>
    private ExitStatus SpawnOnce()
    {
        using var plan = new SpawnPlan
        {
            CloneFlags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET,
            UserNamespaceMappings = new IdMappings([new(0, 200000, 65536)], [new(0, 200000, 65536)]),
        };
        var r = _rootfs.Path;
        plan.Mount(null, "/", null, MS_REC | MS_PRIVATE)
            .Mount(r, r, null, MS_BIND | MS_REC)
            .SetHostname("stress")
            .Chdir(r).PivotRoot(".", ".").Umount(".", MNT_DETACH).Chdir("/")
            .CloseOnExecFrom(3)
            .Execve("/bin/true", ["true"], []);
        using var child = Spawner.Spawn(plan);
        Span<FileCalls.PollFd> fds = [new FileCalls.PollFd { Fd = child.PidFd, Events = FileCalls.POLLIN }];
        if (FileCalls.Poll(fds, 10_000) == 0)
        {
            child.Signal(ProcessCalls.SIGKILL);
            child.Wait();
            Assert.Fail($"spawned child {child.Pid} hung for 10 s");
        }
        child.WaitForExec();
        return child.Wait();
    }

    private static void Churn(CancellationToken token)
    {
        var keep = new List<byte[]>();
        var n = 0;
        while (!token.IsCancellationRequested)
        {
            keep.Add(new byte[Random.Shared.Next(1_000, 200_000)]);
            if (keep.Count > 200) keep.RemoveRange(0, 100);
            if (++n % 500 == 0) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }

    private static List<int> ChildrenOfThisProcess()
    {
        var self = Environment.ProcessId.ToString();
        var children = new List<int>();
        foreach (var task in Directory.GetDirectories($"/proc/{self}/task"))
        {
            var file = Path.Combine(task, "children");
            if (File.Exists(file))
                children.AddRange(File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
        }
        return children;
    }
}

using Xunit.Abstractions;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// SIGKILL at a random moment of run --rm, run -d, start, stop and rm -f — the CLI alone (its
/// children live on) or its whole process group — then what a user types next (ps -a, rm -f,
/// network prune): nothing of the instance may stay (the verification-findings issue, items 6
/// and 7). KAPSEL_CRASH_ITERATIONS sets the count (default 150), KAPSEL_CRASH_SEED the seed;
/// scripts/crash.sh is the same loop for longer runs.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const string Marker = "31.7"; // the instance's "sleep 31.7": findable among host processes
    private readonly KapselBinary _kapsel = new();

    public void Dispose() => _kapsel.Dispose();

    private static int FromEnv(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;

    /// <summary>Starts kapsel ARGS in a session of its own (pid = process group id), kills it after delay.</summary>
    private void KillAfter(int delayMs, bool wholeGroup, params string[] args)
    {
        var env = new Dictionary<string, string> { ["KAPSEL_LINK_PREFIX"] = _kapsel.LinkPrefix, ["KAPSEL_NFT_TABLE"] = _kapsel.NftTable };
        var psi = new System.Diagnostics.ProcessStartInfo("bash") { UseShellExecute = false };
        // exec twice: bash becomes setsid, which (not a group leader) becomes kapsel: one pid throughout.
        foreach (var a in (string[])["-c", "exec setsid \"$0\" \"$@\" </dev/null >/dev/null 2>&1", KapselBinary.Path, "--root", _kapsel.Root, .. args])
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        Thread.Sleep(delayMs);
        if (wholeGroup) KapselBinary.Exec("kill", ["-9", "--", "-" + p.Id]);
        else KapselBinary.Exec("kill", ["-9", p.Id.ToString()]);
        Assert.True(p.WaitForExit(30_000), $"kapsel {string.Join(' ', args)} survived SIGKILL");
    }

    private void Prepare(string op)
    {
        switch (op)
        {
            case "start":
                _kapsel.Run("run", "-d", "--name", "one", "busybox", "sleep", Marker);
                _kapsel.Run("stop", "-t", "0", "one");
                break;
            case "stop" or "rm":
                _kapsel.Run("run", "-d", "--name", "one", "busybox", "sleep", Marker);
                break;
        }
    }

    private static string[] Operation(string op) => op switch
    {
        "run --rm" => ["run", "--rm", "--name", "one", "busybox", "sleep", Marker],
        "run -d" => ["run", "-d", "--name", "one", "busybox", "sleep", Marker],
        "start" => ["start", "one"],
        "stop" => ["stop", "-t", "1", "one"],
        _ => ["rm", "-f", "one"],
    };

    private void Recover()
    {
        _kapsel.Run("ps", "-a");
        _kapsel.Run("rm", "-f", "one");
        foreach (var id in _kapsel.Run("ps", "-a", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)) _kapsel.Run("rm", "-f", id);
        _kapsel.Run("network", "prune");
    }

    [Fact]
    public void KilledCommandsLeaveNothingAfterTheNextCommandsRecovery()
    {
        var iterations = FromEnv("KAPSEL_CRASH_ITERATIONS", 150);
        var seed = FromEnv("KAPSEL_CRASH_SEED", Environment.TickCount & 0x7fffffff);
        output.WriteLine($"crash loop: {iterations} iterations, seed {seed} (KAPSEL_CRASH_SEED reruns it)");
        Assert.Equal(0, _kapsel.Run("run", "--rm", "busybox", "true").ExitCode); // image and network ready
        var cgroupsBefore = HostLeaks.InstanceCgroups();
        var random = new Random(seed);
        string[] ops = ["run --rm", "run -d", "start", "stop", "rm"];
        var leaks = new List<string>();
        for (var i = 0; i < iterations; i++)
        {
            var (op, wholeGroup, delay) = (ops[i % ops.Length], random.Next(2) == 1, 5 + random.Next(150));
            Prepare(op);
            KillAfter(delay, wholeGroup, Operation(op));
            Recover();

            var left = new List<string>();
            if (_kapsel.Run("ps", "-a", "-q").Stdout.Trim() is { Length: > 0 } records) left.Add("records " + records.Replace('\n', ' '));
            if (HostLeaks.InstanceDirs(_kapsel.Root) is { Count: > 0 } dirs) left.Add($"{dirs.Count} instance dirs");
            if (HostLeaks.MountsUnder(_kapsel.Root + "/") is { Count: > 0 } mounts) left.Add($"mounts {string.Join(' ', mounts)}");
            if (HostLeaks.ProcessesMentioning("sleep " + Marker) is { Count: > 0 } procs) left.Add($"processes {string.Join(' ', procs)}");
            if (_kapsel.HostLinks().Where(l => !l.Contains("b-")).ToList() is { Count: > 0 } links) left.Add($"links {string.Join(' ', links)}");
            if (left.Count > 0)
            {
                leaks.Add($"iteration {i}: {op} killed after {delay} ms ({(wholeGroup ? "process group" : "CLI alone")}): {string.Join("; ", left)}");
                foreach (var pid in HostLeaks.ProcessesMentioning("sleep " + Marker)) KapselBinary.Exec("kill", ["-9", pid.ToString()]);
            }
        }
        var cgroups = HostLeaks.LeakedInstanceCgroups(cgroupsBefore);
        foreach (var cg in cgroups) Directory.Delete(cg);
        output.WriteLine($"{leaks.Count} leaking iterations of {iterations}; {cgroups.Count} cgroup directories left");
        Assert.True(leaks.Count == 0 && cgroups.Count == 0,
            $"seed {seed}: {string.Join('\n', leaks)}\ncgroups left: {string.Join(' ', cgroups)}");
    }
}

using System.Text.Json.Nodes;
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

    /// <summary>Runs a bundle whose config.json was edited as JSON; the process would write /tmp/ran.</summary>
    private static (int Code, string Err, bool Ran) RunEdited(Action<JsonNode> edit, string id, bool rootless = false)
    {
        using var b = new BusyboxBundle(s => s.Process!.Args = ["sh", "-c", "echo yes > /tmp/ran"], rootless);
        var path = Path.Combine(b.Dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, id);
        var ran = File.Exists(Path.Combine(b.Rootfs, "tmp/ran"));
        Assert.False(Directory.Exists(Path.Combine(b.Root, id)) && code != 0, "a refused container left its state directory");
        return (code, err, ran);
    }

    private static void AssertRefusedInOneLine((int Code, string Err, bool Ran) r, string mentions)
    {
        Assert.NotEqual(0, r.Code);
        Assert.False(r.Ran, "the container ran");
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got {lines.Length}: {r.Err}");
        Assert.Contains(mentions, r.Err);
        Assert.DoesNotContain("Exception", r.Err);
        Assert.True(r.Err.Length < 1000, "the message echoes the whole value");
    }

    [Theory]
    [InlineData("uid")]
    [InlineData("gid")]
    public void IdMinusOneIsRefusedInsteadOfRunningAsRoot(string field)
    {
        var r = RunEdited(j => j["process"]!["user"]![field] = 4294967295u, "hostile-uid-" + field);
        AssertRefusedInOneLine(r, $"process.user.{field}");
        r = RunEdited(j => j["process"]!["user"]![field] = 2147483648u, "hostile-uid2-" + field);
        AssertRefusedInOneLine(r, "outside the valid range");
    }

    [Fact]
    public void AdditionalGidsAndMappingsOutsideTheRangeAreRefused()
    {
        AssertRefusedInOneLine(RunEdited(j => j["process"]!["user"]!["additionalGids"] = new JsonArray(4294967295u), "hostile-gids"),
            "process.user.additionalGids[0]");
        AssertRefusedInOneLine(RunEdited(j => j["linux"]!["uidMappings"]![0]!["hostID"] = 4294967295u, "hostile-map", rootless: true),
            "linux.uidMappings[0].hostID");
    }

    [Fact]
    public void HostnameSysctlWithoutAUtsNamespaceLeavesTheHostHostnameAlone()
    {
        var before = File.ReadAllText("/proc/sys/kernel/hostname");
        var r = RunEdited(j =>
        {
            var ns = j["linux"]!["namespaces"]!.AsArray();
            foreach (var n in ns.Where(n => (string?)n!["type"] == "uts").ToList()) ns.Remove(n);
            j.AsObject().Remove("hostname");
            j["linux"]!["sysctl"] = new JsonObject { ["kernel/hostname"] = "hijacked" };
        }, "hostile-sysctl1");
        AssertRefusedInOneLine(r, "needs a uts namespace");
        Assert.Equal(before, File.ReadAllText("/proc/sys/kernel/hostname"));
    }

    [Fact]
    public void NetSysctlWithoutANetworkNamespaceLeavesTheHostAlone()
    {
        var before = File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim();
        var flipped = before == "1" ? "0" : "1";
        var r = RunEdited(j =>
        {
            var ns = j["linux"]!["namespaces"]!.AsArray();
            foreach (var n in ns.Where(n => (string?)n!["type"] == "network").ToList()) ns.Remove(n);
            j["linux"]!["sysctl"] = new JsonObject { ["net/ipv4/ip_forward"] = flipped };
        }, "hostile-sysctl2");
        AssertRefusedInOneLine(r, "network namespace");
        Assert.Equal(before, File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
        // Joining the runtime's own network namespace by path is the host's too.
        r = RunEdited(j =>
        {
            foreach (var n in j["linux"]!["namespaces"]!.AsArray().Where(n => (string?)n!["type"] == "network")) n!["path"] = "/proc/self/ns/net";
            j["linux"]!["sysctl"] = new JsonObject { ["net.ipv4.ip_forward"] = flipped };
        }, "hostile-sysctl3");
        AssertRefusedInOneLine(r, "host's network namespace");
        Assert.Equal(before, File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
    }

    [Fact]
    public void HostWideSysctlIsRefusedAndNamespacedOnesWork()
    {
        var before = File.ReadAllText("/proc/sys/fs/lease-break-time");
        AssertRefusedInOneLine(RunEdited(j => j["linux"]!["sysctl"] = new JsonObject { ["fs.lease-break-time"] = "7" }, "hostile-sysctl4"),
            "would change the host");
        Assert.Equal(before, File.ReadAllText("/proc/sys/fs/lease-break-time"));

        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Sysctl = new() { ["net.ipv4.ip_forward"] = "1", ["kernel.shmmni"] = "1234" };
            s.Process!.Args = ["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni > /tmp/values"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "sysctl-ok");
        Assert.True(code == 0, err);
        Assert.Equal(["1", "1234"], File.ReadAllLines(Path.Combine(b.Rootfs, "tmp/values")));
    }

    public static TheoryData<string, string> NullElements => new()
    {
        { "mounts", "mounts[0]" }, { "mounts/0/options", "mounts[0].options[0]" }, { "linux/maskedPaths", "linux.maskedPaths[0]" },
        { "linux/readonlyPaths", "linux.readonlyPaths[0]" }, { "linux/namespaces", "linux.namespaces[0]" },
        { "process/rlimits", "process.rlimits[0]" }, { "process/env", "process.env[0]" }, { "process/args", "process.args[0]" },
        { "linux/devices", "linux.devices[0]" }, { "linux/uidMappings", "linux.uidMappings[0]" },
        { "process/capabilities/bounding", "process.capabilities.bounding[0]" },
    };

    [Theory]
    [MemberData(nameof(NullElements))]
    public void NullElementsAreOneLineErrorsNamingTheField(string pointer, string path)
    {
        var r = RunEdited(j =>
        {
            var parts = pointer.Split('/');
            JsonNode node = j;
            foreach (var part in parts[..^1]) node = int.TryParse(part, out var i) ? node[i]! : node[part] ??= new JsonObject();
            var last = parts[^1];
            if (node[last] is JsonArray a) a.Insert(0, null);
            else node[last] = new JsonArray((JsonNode?)null);
        }, "hostile-null");
        AssertRefusedInOneLine(r, path + ": null");
    }

    [Fact]
    public void NullObjectsWhereTheModelHasNoneAreRefused()
    {
        AssertRefusedInOneLine(RunEdited(j => j["process"]!["user"] = null, "hostile-null-user"), "process.user: null");
        AssertRefusedInOneLine(RunEdited(j => j["hooks"] = new JsonObject { ["prestart"] = new JsonArray((JsonNode?)null) }, "hostile-null-hook"),
            "hooks.prestart[0]: null");
    }

    [Fact]
    public void NulBytesInStringsThatReachASyscallAreRefused()
    {
        AssertRefusedInOneLine(RunEdited(j => j["process"]!["args"] = new JsonArray("/bin/tr\u0000ue"), "hostile-nul1"), "process.args[0]: contains a NUL byte");
        AssertRefusedInOneLine(RunEdited(j => j["process"]!["cwd"] = "/tmp\u0000x", "hostile-nul2"), "process.cwd: contains a NUL byte");
        AssertRefusedInOneLine(RunEdited(j => j["mounts"]![0]!["destination"] = "/tmp\u0000x", "hostile-nul3"), "mounts[0].destination: contains a NUL byte");
        AssertRefusedInOneLine(RunEdited(j => j["linux"]!["sysctl"] = new JsonObject { ["kernel.shmmni\u0000x"] = "1" }, "hostile-nul4"), "NUL byte");
    }

    [Fact]
    public void ManyProblemsAndHugeValuesGiveOneShortLine()
    {
        var r = RunEdited(j =>
        {
            var ns = j["linux"]!["namespaces"]!.AsArray();
            for (var i = 0; i < 1000; i++) ns.Add(new JsonObject { ["type"] = "pid" });
        }, "hostile-dups");
        AssertRefusedInOneLine(r, "more problems");
        r = RunEdited(j => j["process"]!["env"] = new JsonArray(new string('A', 1_000_000)), "hostile-huge");
        AssertRefusedInOneLine(r, "process.env[0]");
        r = RunEdited(j => j["process"]!["env"] = new JsonArray("\u001b]0;owned\u0007\u001b[2J"), "hostile-escape");
        AssertRefusedInOneLine(r, "process.env[0]");
        Assert.DoesNotContain('\u001b', r.Err);
    }

    [Fact]
    public void RuncsOwnDefaultSpecRunsWithAWarningForTheAmbientSet()
    {
        if (!File.Exists("/usr/sbin/runc")) Assert.Fail("runc is not installed (scripts/install-deps.sh installs it)");
        using var b = new BusyboxBundle();
        var config = Path.Combine(b.Dir, "config.json");
        File.Delete(config);
        var spec = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/sbin/runc", ["spec"]) { WorkingDirectory = b.Dir })!;
        spec.WaitForExit();
        Assert.Equal(0, spec.ExitCode);
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        Assert.True(json["process"]!["capabilities"]!["ambient"]!.AsArray().Count > 0, "runc spec no longer writes ambient capabilities");
        json["process"]!["terminal"] = false;
        json["root"]!["readonly"] = false;
        json["process"]!["args"] = new JsonArray("sh", "-c", "grep CapAmb /proc/self/status > /tmp/amb");
        File.WriteAllText(config, json.ToJsonString());
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "runc-default-spec");
        Assert.True(code == 0, err);
        Assert.Contains("ambient", err);
        Assert.Contains("not raised", err);
        Assert.Equal("CapAmb:\t0000000000000000", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/amb")).Trim());
    }

    [Fact]
    public void IdMapsTheKernelRejectsFailAtOnceAndLeaveNothing()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Process!.Args = ["true"];
            s.Linux!.UidMappings = [.. Enumerable.Range(0, 340).Select(i => new IdMappingSpec { ContainerId = (uint)i * 10 + 1_000_000, HostId = 2_000_000_000u + (uint)i * 10, Size = 1 })];
            s.Linux.UidMappings.Insert(0, new IdMappingSpec { ContainerId = 0, HostId = 0, Size = 1 });
            s.Linux.UidMappings.RemoveAt(340);
        }, rootless: true);
        var run = Task.Run(() => b.Oci("run", "--bundle", b.Dir, "hostile-maps"));
        Assert.True(run.Wait(TimeSpan.FromSeconds(30)), "kapsel-runc hangs on id maps the kernel rejects");
        var (code, _, err) = run.Result;
        Assert.NotEqual(0, code);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("uid_map", err);
        Assert.False(Directory.Exists(Path.Combine(b.Root, "hostile-maps")), "state left behind");
        Assert.Empty(Directory.GetDirectories("/sys/fs/cgroup", "hostile-maps", SearchOption.AllDirectories));
    }
}

using System.Text.Json.Nodes;

namespace Kapsel.Oci.Tests;

/// <summary>
/// Bad input through `create`: a clear error naming the field, a non-zero exit, and nothing left
/// behind: no state directory, cgroup, mount or child process.
/// </summary>
public sealed class BadInputTests
{
    private static int ChildCount() =>
        Directory.EnumerateDirectories($"/proc/{Environment.ProcessId}/task")
            .Sum(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

    private static void AssertRejected(Action<JsonNode> edit, string expected)
    {
        using var b = new BusyboxBundle();
        var path = Path.Combine(b.Dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
        var children = ChildCount();
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "bad1");
        Assert.NotEqual(0, code);
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(Path.Combine(b.Root, "bad1")), "state directory left behind");
        foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup"))
            Assert.False(Directory.Exists(Path.Combine(hierarchy, "kapsel-runc", "bad1")), $"cgroup left in {hierarchy}");
        Assert.DoesNotContain(b.Dir, File.ReadAllText("/proc/self/mountinfo"));
        Assert.Equal(children, ChildCount());
    }

    [Fact]
    public void WrongTypeNamesTheField() =>
        AssertRejected(c => c["process"]!["args"] = "sh", "process.args");

    [Fact]
    public void MissingRootfsNamesRootPath() =>
        AssertRejected(c => c["root"]!["path"] = "no-such-rootfs", "root.path");

    [Fact]
    public void BadSeccompActionNamesTheRule() =>
        AssertRejected(c => c["linux"]!["seccomp"] = JsonNode.Parse("""
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}]}
            """), "linux.seccomp.syscalls[0]");

    [Fact]
    public void ImpossibleCgroupValueIsUndone() =>
        // A valid-looking cpu list the kernel refuses at write time: the cgroup is already made and must go.
        AssertRejected(c => c["linux"]!["resources"] = JsonNode.Parse("""{"cpu": {"cpus": "1000-1001"}}"""), "cpu");

    [Fact]
    public void NegativeMemoryLimitNamesTheField() =>
        AssertRejected(c => c["linux"]!["resources"] = JsonNode.Parse("""{"memory": {"limit": -5}}"""), "linux.resources.memory.limit");
}

using System.Text.Json.Nodes;

namespace Kapsel.Integration.Tests.Oci;

/// <summary>
/// One busybox bundle (config from `kapsel-runc spec`, plus a hostname and cgroup limits) run by
/// runc and by kapsel-runc; what the container sees must match, apart from listed differences.
/// </summary>
public sealed class RuncComparisonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kapsel-cmp-").FullName;

    // Prints one "section: value" line per observation, so a mismatch names what differs.
    private const string Probe = """
        awk '{for(i=1;i<=NF;i++) if($i=="-") {print "mount: " $5 " " $(i+1); break}}' /proc/self/mountinfo | sort
        grep -E '^(CapEff|CapBnd|CapPrm|CapInh|NoNewPrivs|Seccomp):' /proc/self/status | sed 's/^/status: /'
        sed 's/^/uid_map: /' /proc/self/uid_map; sed 's/^/gid_map: /' /proc/self/gid_map
        echo "hostname: $(hostname)"
        echo "memory: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
        echo "pids: $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"
        echo "dev: $(ls /dev | tr '\n' ' ')"
        echo "nofile: $(ulimit -n)"; echo "id: $(id)"; echo "cwd: $(pwd)"
        """;

    /// <summary>
    /// Justified differences. On a hybrid-cgroup host kapsel-runc also mounts the cgroup2
    /// hierarchy at /sys/fs/cgroup/unified, as the host has it (systemd in hybrid mode uses it);
    /// runc 1.1 leaves it out.
    /// </summary>
    private static readonly HashSet<string> KapselOnly = ["mount: /sys/fs/cgroup/unified cgroup2"];

    // The mapped root of a user namespace must be able to reach the bundle (temp dirs are 0700).
    public RuncComparisonTests() => File.SetUnixFileMode(_dir, (UnixFileMode)0x1ed);

    public void Dispose() => OciTestEnv.Scrub(_dir);

    private string Bundle(bool userns)
    {
        var bundle = Path.Combine(_dir, userns ? "userns" : "root");
        BusyboxRootfs.Populate(Path.Combine(bundle, "rootfs"));
        OciTestEnv.Must(OciTestEnv.RuntimePath, "spec", "--bundle", bundle);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!;
        config["process"]!["terminal"] = false;
        config["process"]!["args"] = new JsonArray("sh", "-c", Probe);
        config["hostname"] = "cmp";
        var linux = config["linux"]!;
        linux["resources"] ??= new JsonObject();
        linux["resources"]!["memory"] = new JsonObject { ["limit"] = 64L << 20 };
        linux["resources"]!["pids"] = new JsonObject { ["limit"] = 40 };
        if (userns)
        {
            linux["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = "user" });
            linux["uidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
            linux["gidMappings"] = new JsonArray(new JsonObject { ["containerID"] = 0, ["hostID"] = 100000, ["size"] = 65536 });
            OciTestEnv.Must("chown", "-R", "100000:100000", Path.Combine(bundle, "rootfs"));
        }
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
        return bundle;
    }

    private Result RunWith(string runtime, string bundle, string name)
    {
        var root = Path.Combine(_dir, "state-" + name);
        var id = "cmp-" + name + "-" + Guid.NewGuid().ToString("N")[..6];
        try { return KapselBinary.Exec(runtime, ["--root", root, "run", "--bundle", bundle, id]); }
        finally { KapselBinary.Exec(runtime, ["--root", root, "delete", "--force", id]); }
    }

    [NeedsRuncFact]
    public void ContainerSeesTheSameAsUnderRunc() => Compare(userns: false);

    [NeedsRuncFact]
    public void UserNamespacedContainerSeesTheSameAsUnderRunc() => Compare(userns: true);

    private void Compare(bool userns)
    {
        var bundle = Bundle(userns);
        var runc = RunWith("runc", bundle, "runc");
        var kapsel = RunWith(OciTestEnv.RuntimePath, bundle, "kapsel");
        Assert.True(runc.ExitCode == 0, "runc: " + runc);
        Assert.True(kapsel.ExitCode == 0, "kapsel-runc: " + kapsel);
        var expected = runc.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var actual = kapsel.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !KapselOnly.Contains(l)).ToHashSet();
        Assert.Empty(expected.Except(actual).Select(l => "only under runc: " + l).Concat(actual.Except(expected).Select(l => "only under kapsel-runc: " + l)));
        Assert.Contains("hostname: cmp", actual);
        Assert.Contains("memory: 67108864", actual);
        Assert.Contains("pids: 40", actual);
        Assert.Contains("status: Seccomp:\t2", actual);
        Assert.Contains(userns ? "uid_map:          0     100000      65536" : "uid_map:          0          0 4294967295", actual);
        Assert.Empty(HostLeaks.MountsUnder(_dir));
        Assert.Empty(HostLeaks.ProcessesMentioning(_dir));
    }
}

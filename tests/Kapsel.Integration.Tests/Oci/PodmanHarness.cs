namespace Kapsel.Integration.Tests.Oci;

/// <summary>
/// Podman with everything private to one test class: --root/--runroot/--tmpdir and containers.conf
/// under a temp dir, cgroupfs manager and file events (HOST.md), kapsel-runc as the runtime, a
/// busybox image imported from a local tar, and a cgroup parent of its own that is removed at the end.
/// </summary>
public sealed class PodmanHarness : IDisposable
{
    public const string Image = "localhost/kapsel-busybox:latest";
    public string Dir { get; } = Directory.CreateTempSubdirectory("kapsel-podman-").FullName;
    public string CgroupParent { get; } = "/kapsel-podman-test-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<string, string> _env;

    public PodmanHarness()
    {
        var conf = Path.Combine(Dir, "containers.conf");
        // Podman judges some runtime abilities by the runtime's file name: declare kapsel-runc like runc.
        File.WriteAllText(conf, $"""
            [containers]
            default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
            [engine]
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            runtime_supports_json = ["crun", "runc", "kapsel-runc"]
            runtime_supports_nocgroups = ["crun", "kapsel-runc"]
            [engine.runtimes]
            kapsel-runc = ["{OciTestEnv.RuntimePath}"]
            """);
        _env = new Dictionary<string, string> { ["CONTAINERS_CONF"] = conf };
        using var busybox = new BusyboxRootfs();
        var r = Podman("import", busybox.Tar, Image);
        if (r.ExitCode != 0) throw new InvalidOperationException($"podman import failed: {r}");
    }

    public Result Podman(params string[] args) => KapselBinary.Exec("podman",
        ["--root", Path.Combine(Dir, "root"), "--runroot", Path.Combine(Dir, "runroot"), "--tmpdir", Path.Combine(Dir, "tmp"),
         "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", OciTestEnv.RuntimePath, .. args], _env);

    /// <summary>`podman run` with the flags every container here needs.</summary>
    public Result RunContainer(params string[] args) => Podman(
        ["run", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--cgroup-parent", CgroupParent, .. args]);

    public void Dispose()
    {
        Podman("rm", "--all", "--force", "--time", "0");
        Podman("rmi", "--all", "--force");
        OciTestEnv.RemoveCgroupDirs(CgroupParent);
        OciTestEnv.Scrub(Dir);
    }
}

using System.Diagnostics;

namespace Kapsel.Integration.Tests.Oci;

/// <summary>
/// dockerd 20.10 of the test's own, started with HOST.md's flags (no bridge, no iptables, cgroupfs),
/// data/exec roots and socket under a temp dir, and kapsel-runc added as runtime "kapsel".
/// </summary>
public sealed class DockerHarness : IDisposable
{
    public const string Image = "localhost/kapsel-busybox:latest";
    private const string Daemon = "/usr/sbin/dockerd";
    // Debian's client matches the daemon; a newer client elsewhere on PATH may not.
    private static string Client => File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
    public string Dir { get; } = Directory.CreateTempSubdirectory("kapsel-docker-").FullName;
    public string Socket => Path.Combine(Dir, "docker.sock");
    public string CgroupParent { get; } = "/kapsel-docker-test-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Process _daemon;
    private readonly System.Text.StringBuilder _log = new();

    /// <summary>Why Docker tests cannot run here, or null.</summary>
    public static string? WhyUnavailable() =>
        !File.Exists(Daemon) ? "dockerd is not installed (Debian package docker.io; scripts/install-deps.sh installs it)"
        : !File.Exists("/usr/bin/docker") && !OciTestEnv.Installed("docker") ? "the docker client is not installed"
        : null;

    // dockerd 20.10 makes /run/docker/plugins and /etc/docker/key.json whatever its roots: remove them afterwards if they were not there before.
    private readonly bool _hadRunDocker = Directory.Exists("/run/docker");
    private readonly bool _hadKey = File.Exists("/etc/docker/key.json");
    private readonly bool _hadRunContainerd = Directory.Exists("/run/containerd");

    public DockerHarness()
    {
        var psi = new ProcessStartInfo(Daemon) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
                 {
                     "--data-root", Path.Combine(Dir, "data"), "--exec-root", Path.Combine(Dir, "exec"), "--pidfile", Path.Combine(Dir, "docker.pid"),
                     "-H", "unix://" + Socket, "--storage-driver", "overlay2", "--bridge", "none", "--iptables=false", "--ip6tables=false",
                     "--ip-masq=false", "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", CgroupParent,
                     "--add-runtime", "kapsel=" + OciTestEnv.RuntimePath, "--config-file", WriteConfig(),
                 })
            psi.ArgumentList.Add(a);
        _daemon = Process.Start(psi)!;
        _daemon.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _daemon.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _daemon.BeginErrorReadLine();
        _daemon.BeginOutputReadLine();
        var deadline = Environment.TickCount64 + 60_000;
        while (Docker("version").ExitCode != 0)
        {
            if (_daemon.HasExited || Environment.TickCount64 > deadline)
            {
                var log = Log;
                Dispose();
                throw new InvalidOperationException($"dockerd did not come up:\n{log}");
            }
            Thread.Sleep(200);
        }
        var archive = Path.Combine(Dir, "busybox-docker.tar");
        using (var busybox = new BusyboxRootfs()) DockerArchive.Write(busybox.Tar, Image, archive);
        var r = Docker("load", "-i", archive);
        if (r.ExitCode != 0) { Dispose(); throw new InvalidOperationException($"docker load failed: {r}"); }
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    private string WriteConfig()
    {
        var path = Path.Combine(Dir, "daemon.json");
        File.WriteAllText(path, "{}");
        return path;
    }

    public Result Docker(params string[] args) =>
        KapselBinary.Exec(Client, ["-H", "unix://" + Socket, .. args], new Dictionary<string, string> { ["DOCKER_CONFIG"] = Path.Combine(Dir, "client") }, timeoutMs: 90_000);

    public void Dispose()
    {
        if (!_daemon.HasExited)
        {
            var ids = Docker("ps", "-aq").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length > 0) Docker(["rm", "-f", .. ids]);
            KapselBinary.Exec("kill", ["-TERM", _daemon.Id.ToString()]);
            if (!_daemon.WaitForExit(20_000)) _daemon.Kill();
            _daemon.WaitForExit();
        }
        _daemon.Dispose();
        foreach (var pid in HostLeaks.ProcessesMentioning(Dir))
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        Thread.Sleep(200);
        OciTestEnv.Scrub(Path.Combine("/run/containerd/runc", "moby"));
        if (!_hadKey) File.Delete("/etc/docker/key.json");
        if (!_hadRunContainerd)
            foreach (var d in new[] { "/run/containerd/fifo", "/run/containerd/s", "/run/containerd/runc", "/run/containerd" })
                try { Directory.Delete(d); } catch (IOException) { }
        if (!_hadRunDocker)
            try { Directory.Delete("/run/docker/plugins"); Directory.Delete("/run/docker"); } catch (IOException) { }
        OciTestEnv.RemoveCgroupDirs(CgroupParent);
        OciTestEnv.Scrub(Dir);
    }
}

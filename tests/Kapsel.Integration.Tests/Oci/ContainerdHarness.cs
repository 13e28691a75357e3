using System.Diagnostics;

namespace Kapsel.Integration.Tests.Oci;

/// <summary>
/// A containerd 1.6 of the test's own: root, state and sockets under a temp dir, CRI kept but with
/// restrict_oom_score_adj (HOST.md), a private namespace, and the busybox image imported from a
/// docker-archive built by <see cref="DockerArchive"/>. Dispose stops it and removes everything,
/// including the runc shim's --root (/run/containerd/runc/NS) and the namespace's cgroups.
/// </summary>
public sealed class ContainerdHarness : IDisposable
{
    public const string Image = "localhost/kapsel-busybox:latest";
    public string Dir { get; } = Directory.CreateTempSubdirectory("kapsel-ctrd-").FullName;
    public string Namespace { get; } = "kapseltest-" + Guid.NewGuid().ToString("N")[..8];
    public string Socket => Path.Combine(Dir, "containerd.sock");
    private readonly Process _daemon;
    // containerd, ctr and the shim always use /run/containerd/{fifo,s,runc}: remove what we caused.
    private readonly bool _hadRunContainerd = Directory.Exists("/run/containerd");

    public ContainerdHarness()
    {
        var config = Path.Combine(Dir, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{Dir}/root"
            state = "{Dir}/state"
            disabled_plugins = ["io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
                                "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs"]
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Socket}.ttrpc"
            [debug]
              address = ""
            [metrics]
              address = ""
            [plugins."io.containerd.grpc.v1.cri"]
              restrict_oom_score_adj = true
            """);
        var psi = new ProcessStartInfo("containerd") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(config);
        _daemon = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        _daemon.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _daemon.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _daemon.BeginErrorReadLine();
        _daemon.BeginOutputReadLine();
        var deadline = Environment.TickCount64 + 30_000;
        while (Ctr("version").ExitCode != 0)
        {
            if (_daemon.HasExited || Environment.TickCount64 > deadline)
            {
                Dispose();
                lock (log) throw new InvalidOperationException($"containerd did not come up:\n{log}");
            }
            Thread.Sleep(100);
        }
        var archive = Path.Combine(Dir, "busybox-docker.tar");
        using (var busybox = new BusyboxRootfs()) DockerArchive.Write(busybox.Tar, Image, archive);
        var r = Ctr("images", "import", archive);
        if (r.ExitCode != 0) { Dispose(); throw new InvalidOperationException($"ctr images import failed: {r}"); }
    }

    public Result Ctr(params string[] args) => KapselBinary.Exec("ctr", ["-a", Socket, "-n", Namespace, .. args], timeoutMs: 60_000);

    public void Dispose()
    {
        if (!_daemon.HasExited)
        {
            foreach (var line in Ctr("containers", "ls", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Ctr("task", "kill", "-s", "SIGKILL", line);
                Ctr("task", "rm", "-f", line);
                Ctr("containers", "rm", line);
            }
            _daemon.Kill(); // SIGKILL: containerd keeps no state we care about; shims exit with their tasks
            _daemon.WaitForExit();
        }
        _daemon.Dispose();
        foreach (var pid in HostLeaks.ProcessesMentioning(Dir))
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        OciTestEnv.Scrub(Path.Combine("/run/containerd/runc", Namespace));
        OciTestEnv.RemoveCgroupDirs(Namespace);
        OciTestEnv.Scrub(Dir);
        if (!_hadRunContainerd)
            foreach (var d in new[] { "/run/containerd/fifo", "/run/containerd/s", "/run/containerd/runc", "/run/containerd" })
                try { Directory.Delete(d); } catch (IOException) { } // only when empty: others may use it meanwhile
    }
}

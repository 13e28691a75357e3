using System.Text.Json;
using Kapsel.Engine.Instances;
using Kapsel.Engine.Volumes;
using Kapsel.Images;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Netlink;
using Kapsel.Oci;
using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;
using static Kapsel.Linux.Interop.MountCalls;

namespace Kapsel.Engine.Drivers;

/// <summary>
/// The app level (Docker's column): one process from an image, run by Kapsel's own OCI runtime
/// with its secure defaults (Docker's capability set, the default seccomp profile, masked paths,
/// no_new_privs, own pid/net/ipc/uts/mount/cgroup namespaces). The image stays pristine: the
/// container's root is an overlayfs (image below, the instance's upper dir above) mounted on the
/// host, as Docker and Podman do, and unmounted on delete. The bundle (config.json) lives in the
/// instance directory, the runtime's state under RUNROOT/runtime.
/// </summary>
public sealed class AppDriver(KapselPaths paths) : IInstanceDriver
{
    public InstanceLevel Level => InstanceLevel.App;

    public IsolationProfile Isolation { get; } = new(
        Filesystem: true, Processes: true, Network: true, Users: false, Ipc: true, Hostname: true,
        ResourceLimits: true, Kernel: false, Summary: "namespaces, cgroups, seccomp, dropped capabilities; shares the host kernel");

    private RuntimeContext Runtime => new() { Root = paths.OciRuntimeRoot, Out = TextWriter.Null, Err = Console.Error };
    private string Dir(Instance i) => paths.InstanceDir(i.Id);
    private string Rootfs(Instance i) => Path.Combine(Dir(i), "rootfs");
    private string Bundle(Instance i) => Path.Combine(Dir(i), "bundle");

    public void Create(Instance instance, LocalImage image)
    {
        var dir = Dir(instance);
        foreach (var sub in new[] { "upper", "work", "rootfs", "bundle" })
            Directory.CreateDirectory(Path.Combine(dir, sub));
        foreach (var p in image.LowerDirs.Append(dir))
            if (p.IndexOfAny([',', ':']) >= 0) throw new KapselException($"path \"{p}\" contains ',' or ':' which overlayfs options cannot express");
        Mount("overlay", Rootfs(instance), "overlay", MS_NOSUID | MS_NODEV,
            $"lowerdir={string.Join(':', image.LowerDirs)},upperdir={Path.Combine(dir, "upper")},workdir={Path.Combine(dir, "work")}");
        var hostNetwork = instance.Config.Network == "host";
        EtcFiles.WriteInitial(dir, AppSpecBuilder.HostnameOf(instance), hostNetwork);
        var volumes = new VolumeStore(paths.Volumes);
        foreach (var m in instance.Config.Mounts.Where(m => m.Type == "volume")) volumes.Create(m.Source!);
        var spec = AppSpecBuilder.Build(instance, Rootfs(instance), dir, volumes, $"/kapsel/{instance.Id}");
        File.WriteAllBytes(Path.Combine(Bundle(instance), "config.json"), JsonSerializer.SerializeToUtf8Bytes(spec, OciJsonContext.Default.RuntimeSpec));
    }

    public IInstanceProcess Start(Instance instance, LocalImage image, InstanceStdio stdio, Func<int, IDisposable?>? beforeStart = null)
    {
        var runtime = Runtime;
        Linux.Spawn.SpawnedProcess init;
        try
        {
            init = ContainerCreator.Create(runtime, new CreateOptions
            {
                Id = instance.Id,
                Bundle = Bundle(instance),
                Stdio = new ContainerStdio(stdio.Stdin, stdio.Stdout, stdio.Stderr),
                ConsoleSocket = stdio.ConsoleSocket,
            });
        }
        catch (OciException e) when (e.ExitCode is 126 or 127)
        {
            throw new CommandNotRunnableException(e.Message, e.ExitCode);
        }
        catch (OciException e)
        {
            throw new KapselException(e.Message, e);
        }
        IDisposable? attached = null;
        try
        {
            if (beforeStart is not null) attached = beforeStart(init.Pid);
            else if (instance.Config.Network != "host")
            {
                // The runtime gives the container a fresh network namespace with lo down (like
                // runc); with nothing attaching it, make loopback usable as Docker's "none" does.
                using var net = RtNetlink.OpenInNamespace($"/proc/{init.Pid}/ns/net");
                net.BringUpLoopback();
            }
            ContainerOps.Start(runtime, instance.Id);
        }
        catch
        {
            attached?.Dispose();
            try { ContainerOps.Delete(runtime, instance.Id, force: true); } catch (OciException) { }
            init.Dispose();
            throw;
        }
        return new SpawnedInstanceProcess(init, attached);
    }

    public void Stopped(Instance instance)
    {
        try { ContainerOps.Delete(Runtime, instance.Id, force: true); }
        catch (OciException) { /* already gone */ }
    }

    public void Delete(Instance instance)
    {
        try { ContainerOps.Delete(Runtime, instance.Id, force: true); }
        catch (OciException) { /* never created, or already gone */ }
        var rootfs = Rootfs(instance);
        if (IsMountPoint(rootfs)) Umount(rootfs, MNT_DETACH);
        ImageStore.DeleteTree(Dir(instance));
    }

    private static bool IsMountPoint(string path) =>
        File.Exists("/proc/self/mountinfo") && File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == path);
}

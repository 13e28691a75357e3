using Kapsel.Engine.Instances;
using Kapsel.Images;
using Kapsel.Linux.Fs;
using Kapsel.Linux.Spawn;
using static Kapsel.Linux.Interop.MountCalls;
using static Kapsel.Linux.Interop.NamespaceCalls;

namespace Kapsel.Engine.Drivers;

/// <summary>
/// The chroot level: chroot(2) into the image's root, in the host's namespaces, as an admin
/// would by hand. The image stays pristine: the instance writes to an overlayfs upper dir. The
/// overlay and the /proc, /sys, /dev binds are made in a private mount namespace of the child
/// only, so they vanish with it and nothing leaks onto the host. No other isolation is added:
/// processes, network, users and root privileges are the host's.
/// An instance run with --rm keeps its writable layer on a tmpfs mounted in that same private
/// mount namespace (over one shared, empty scratch directory): it needs no per-instance
/// directories on the host at all, so there is nothing to create, clean up or leak.
/// </summary>
public sealed class ChrootDriver(KapselPaths paths) : IInstanceDriver
{
    public InstanceLevel Level => InstanceLevel.Chroot;

    public const string Warning =
        "the chroot level isolates only the filesystem view: processes, network, IPC, users and root privileges are the host's (meant for debugging and tests)";

    public IsolationProfile Isolation { get; } = new(
        Filesystem: true, Processes: false, Network: false, Users: false, Ipc: false, Hostname: false,
        ResourceLimits: false, Kernel: false, Summary: "filesystem view only; root in a chroot is root on the host");

    private string Dir(Instance i) => i.AutoRemove ? ScratchDir : paths.InstanceDir(i.Id);
    private string ScratchDir => Path.Combine(paths.RunRoot, "chroot-scratch");

    public void Create(Instance instance, LocalImage image)
    {
        if (instance.AutoRemove) { Directory.CreateDirectory(ScratchDir); return; }
        foreach (var sub in new[] { "upper", "work", "rootfs" })
            Directory.CreateDirectory(Path.Combine(Dir(instance), sub));
    }

    /// <summary>The command inside the root layers, with docker's 127/126 errors when it can't run.</summary>
    internal static string ResolveExecutable(IReadOnlyList<string> rootLayers, string command, IReadOnlyList<string> env)
    {
        var (path, result) = ExecutableResolver.Find(rootLayers, command, ExecutableResolver.PathVariable(env));
        return result switch
        {
            ExecutableResolver.Lookup.Executable => path.StartsWith('/') ? path : "/" + path,
            ExecutableResolver.Lookup.NotExecutable or ExecutableResolver.Lookup.Directory =>
                throw new CommandNotRunnableException($"\"{command}\": permission denied: not an executable file", 126),
            _ when command.Contains('/') => throw new CommandNotRunnableException($"\"{command}\": no such file or directory", 127),
            _ => throw new CommandNotRunnableException($"\"{command}\": executable file not found in $PATH", 127),
        };
    }

    public IInstanceProcess Start(Instance instance, LocalImage image, InstanceStdio stdio, Func<int, IDisposable?>? beforeStart = null)
    {
        var dir = Dir(instance);
        var upper = Path.Combine(dir, "upper");
        var rootfs = Path.Combine(dir, "rootfs");
        foreach (var p in image.LowerDirs.Append(dir))
            if (p.IndexOfAny([',', ':']) >= 0) throw new KapselException($"path \"{p}\" contains ',' or ':' which overlayfs options cannot express");

        // A --rm instance's upper dir only exists inside its own mount namespace (empty tmpfs).
        IReadOnlyList<string> layers = instance.AutoRemove ? image.LowerDirs : [upper, .. image.LowerDirs];
        var executable = ResolveExecutable(layers, instance.Command[0], instance.Env);
        var plan = new SpawnPlan { CloneFlags = CLONE_NEWNS };
        try
        {
            plan.Mount(null, "/", null, MS_REC | MS_PRIVATE);
            if (instance.AutoRemove)
            {
                plan.Mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
                plan.Mkdir(upper).Mkdir(Path.Combine(dir, "work")).Mkdir(rootfs);
            }
            plan.Mount("overlay", rootfs, "overlay", 0, $"lowerdir={string.Join(':', image.LowerDirs)},upperdir={upper},workdir={Path.Combine(dir, "work")}");
            foreach (var hostDir in new[] { "/proc", "/sys", "/dev" })
            {
                plan.Mkdir(rootfs + hostDir, optional: true);
                plan.Mount(hostDir, rootfs + hostDir, null, MS_BIND | MS_REC);
            }
            plan.Chroot(rootfs).Chdir(instance.WorkingDir);
            plan.Dup(stdio.Stdin, 0).Dup(stdio.Stdout, 1).Dup(stdio.Stderr, 2).CloseOnExecFrom(3);
            plan.Execve(executable, instance.Command, instance.Env);
            var child = Spawner.Spawn(plan);
            try { child.WaitForExec(); }
            catch { child.Dispose(); throw; }
            return new SpawnedInstanceProcess(child);
        }
        finally { plan.Dispose(); }
    }

    public void Stopped(Instance instance) { } // its mount namespace (and overlay) died with the process

    public void Delete(Instance instance)
    {
        if (!instance.AutoRemove) ImageStore.DeleteTree(Dir(instance));
    }
}

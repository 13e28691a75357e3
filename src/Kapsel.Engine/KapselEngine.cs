using Kapsel.Engine.Drivers;
using Kapsel.Engine.Instances;
using Kapsel.Engine.State;
using Kapsel.Images;
using Kapsel.State;

namespace Kapsel.Engine;

/// <summary>
/// The engine: paths, the state store, images and the level drivers. The CLI runs it in-process
/// (daemonless); `kapsel serve` will host the same object.
/// </summary>
public sealed class KapselEngine : IDisposable
{
    private StateDatabase? _store;

    public KapselPaths Paths { get; }
    public ImageStore Images { get; }

    public KapselEngine(KapselPaths paths)
    {
        Paths = paths;
        Images = new ImageStore(paths.Images);
    }

    /// <summary>Opened on first use, so commands that need no state stay fast.</summary>
    public StateDatabase Store => _store ??= EngineSchema.Open(Paths.Database);

    public InstanceRepository Instances => new(Store);

    public IInstanceDriver Driver(InstanceLevel level) => level switch
    {
        InstanceLevel.Chroot => new ChrootDriver(Paths),
        InstanceLevel.App => new AppDriver(Paths),
        _ => throw new KapselException($"the {Instance.LevelName(level)} level is not available yet in this build of Kapsel"),
    };

    /// <summary>Removes a stopped instance (or a running one with force: it is killed first).</summary>
    public void Remove(Instance instance, bool force)
    {
        if (instance.State == InstanceState.Running && instance.Pid is { } pid && ProcessIsAlive(pid))
        {
            if (!force) throw new KapselException($"instance {instance.Name} is running; stop it first or use --force");
            Linux.Interop.ProcessCalls.Kill(pid, Linux.Interop.ProcessCalls.SIGKILL);
        }
        Driver(instance.Level).Delete(instance);
        Instances.Remove(instance.Id);
    }

    private static bool ProcessIsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>
    /// Instances recorded as running whose process is gone (the kapsel that watched them was
    /// killed) are marked stopped with an unknown exit code, so listings never lie.
    /// </summary>
    public List<Instance> ListInstances()
    {
        var repo = Instances;
        var list = repo.List();
        foreach (var i in list.Where(i => i.State == InstanceState.Running && (i.Pid is not { } pid || !ProcessIsAlive(pid))))
        {
            i.State = InstanceState.Stopped;
            i.Finished ??= DateTimeOffset.UtcNow;
            repo.Update(i);
        }
        return list;
    }

    public void Dispose() => _store?.Dispose();
}

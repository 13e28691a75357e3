using Kapsel.Engine.Drivers;
using Kapsel.Engine.Instances;
using Kapsel.Engine.State;
using Kapsel.Engine.Volumes;
using Kapsel.Images;
using Kapsel.Network.Networks;
using Kapsel.State;

namespace Kapsel.Engine;

/// <summary>
/// The engine: paths, the state store, images and the level drivers. The CLI runs it in-process
/// (daemonless); `kapsel serve` will host the same object.
/// </summary>
public sealed class KapselEngine : IDisposable
{
    private StateDatabase? _store;
    private NetworkManager? _networks;

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

    public VolumeStore Volumes => new(Paths.Volumes);

    /// <summary>
    /// Networks, in the same state database. Their host objects carry this root's id (registered in
    /// <see cref="Kapsel.Linux.Host.StateRoots"/>) and its rules live in this root's own nft table,
    /// so roots sharing a host never touch each other's. KAPSEL_LINK_PREFIX and KAPSEL_NFT_TABLE
    /// give a test its own names as well.
    /// </summary>
    public NetworkManager Networks => _networks ??= new NetworkManager(new SqliteNetworkStore(Store), new NetworkOptions
    {
        LinkPrefix = Environment.GetEnvironmentVariable("KAPSEL_LINK_PREFIX") is { Length: > 0 } p ? p : "k",
        RootId = RootId,
        TableName = Environment.GetEnvironmentVariable("KAPSEL_NFT_TABLE") is { Length: > 0 } t ? t : NetworkOptions.TablePrefix + RootId,
        Notice = NetworkNotice,
        // Instances on one host talk at loopback speed (iperf3: ~120% of loopback vs ~55-70% at
        // 1500, bench/instances-network.sh); traffic leaving the host is segmented to the uplink's
        // MTU by GSO and path-MTU discovery, as on loopback. `network create --mtu 1500` for Docker's value.
        DefaultMtu = 65520,
    });

    /// <summary>This root's id in the host-wide registry of roots (registered on first use).</summary>
    public string RootId => _rootId ??= Kapsel.Linux.Host.StateRoots.Register(Paths.Root);
    private string? _rootId;

    /// <summary>Where network notices go (the CLI prints them on stderr).</summary>
    public Action<string>? NetworkNotice { get; set; }

    public IInstanceDriver Driver(InstanceLevel level) => level switch
    {
        InstanceLevel.Chroot => new ChrootDriver(Paths),
        InstanceLevel.App => new AppDriver(Paths),
        _ => throw new KapselException($"the {Instance.LevelName(level)} level is not available yet in this build of Kapsel"),
    };

    /// <summary>
    /// Removes a stopped instance (or a running one with force: killed first, its owner given the
    /// moment to record it), with its filesystem, anonymous volumes, leftover network leases and record.
    /// </summary>
    public void Remove(Instance instance, bool force)
    {
        if (InstanceControl.IsRunning(instance))
        {
            if (!force) throw new KapselException($"instance {instance.Name} is running; stop it first or use --force");
            Instances.SetStopRequested(instance.Id, true);
            new InstanceControl(this).Stop(instance, TimeSpan.Zero);
            if (Instances.Get(instance.Id) is not { } now) return; // its monitor removed it (--rm)
            instance = now;
        }
        // An owner that crashed leaves leases; they go with the instance.
        if (instance.Level != InstanceLevel.Chroot && Networks.Attachments(instance.Id).Count > 0) Networks.DisconnectAll(instance.Id);
        new InstanceLauncher(this).Remove(instance);
    }

    private static bool ProcessIsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>
    /// Instances recorded as running whose process and owner are both gone (the kapsel that
    /// watched them was killed) are marked stopped with an unknown exit code, so listings never
    /// lie. While the owner lives it records the exit (and a restart) itself: writing here too
    /// would race with it and could overwrite its record with a stale one.
    /// </summary>
    public List<Instance> ListInstances()
    {
        var repo = Instances;
        var list = repo.List();
        foreach (var i in list.Where(i => i.State == InstanceState.Running && (i.Pid is not { } pid || !ProcessIsAlive(pid))
                                          && (i.MonitorPid is not { } owner || !ProcessIsAlive(owner))))
        {
            i.State = InstanceState.Stopped;
            i.Finished ??= DateTimeOffset.UtcNow;
            repo.Update(i);
        }
        return list;
    }

    public void Dispose()
    {
        _networks?.Dispose();
        _store?.Dispose();
    }
}

using Kapsel.Engine.Instances;
using Kapsel.Engine.Volumes;
using Kapsel.Network.Networks;
using Kapsel.Oci.Spec;

namespace Kapsel.Engine.Drivers;

/// <summary>
/// The OCI config of an app-level instance: the runtime's secure defaults (DefaultSpec), then
/// what `run` asked for — user, terminal, hostname and the /etc files Kapsel manages, mounts and
/// volumes, read-only root, capabilities, resource limits, and no network namespace for `host`.
/// </summary>
public static class AppSpecBuilder
{
    public static RuntimeSpec Build(Instance instance, string rootfs, string instanceDir, VolumeStore volumes, string cgroupsPath)
    {
        var config = instance.Config;
        var user = ContainerUser.Resolve(rootfs, config.User);
        var spec = DefaultSpec.Create(args: [.. instance.Command], terminal: config.Tty);
        spec.Root = new RootSpec { Path = rootfs, Readonly = config.ReadOnly };
        spec.Hostname = HostnameOf(instance);
        var process = spec.Process!;
        process.Env = WithHome([.. instance.Env], user.Home);
        if (!config.Tty) process.Env.RemoveAll(e => e.StartsWith("TERM=", StringComparison.Ordinal));
        process.Cwd = instance.WorkingDir;
        process.User = new UserSpec { Uid = user.Uid, Gid = user.Gid, AdditionalGids = user.AdditionalGids.Count > 0 ? [.. user.AdditionalGids] : null };
        var capabilities = ApplyCapabilities(process.Capabilities!, config);
        // Docker's profile opens syscalls for added capabilities (e.g. mount for SYS_ADMIN).
        spec.Linux!.Seccomp = Oci.Seccomp.DefaultSeccompProfile.Create([.. capabilities]);

        var mode = NetworkMode.Parse(config.Network, "default");
        if (mode.Kind == NetworkModeKind.Host)
            spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "network");
        foreach (var (file, target) in EtcFiles.Names)
            spec.Mounts!.Add(new MountSpec { Destination = target, Type = "bind", Source = Path.Combine(instanceDir, file), Options = ["rbind", "rprivate"] });
        foreach (var m in config.Mounts)
            spec.Mounts!.Add(ToMount(m, volumes));

        spec.Linux!.CgroupsPath = cgroupsPath;
        var resources = spec.Linux.Resources ??= new ResourcesSpec();
        if (config.MemoryBytes is { } memory) resources.Memory = new MemorySpec { Limit = memory };
        if (config.Cpus is { } cpus) resources.Cpu = new CpuSpec { Quota = (long)(cpus * 100_000), Period = 100_000 };
        if (config.PidsLimit is { } pids) resources.Pids = new PidsSpec { Limit = pids };
        spec.Annotations = new Dictionary<string, string> { ["io.kapsel.name"] = instance.Name, ["io.kapsel.level"] = Instance.LevelName(instance.Level) };
        foreach (var (k, v) in config.Labels) spec.Annotations[k] = v;
        return spec;
    }

    public static string HostnameOf(Instance instance) => instance.Config.Hostname ?? instance.Id[..12];

    /// <summary>HOME from the user's passwd entry unless the image or -e set it (as Docker does).</summary>
    private static List<string> WithHome(List<string> env, string? home)
    {
        if (home is not null && !env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal))) env.Add($"HOME={home}");
        return env;
    }

    private static MountSpec ToMount(MountRequest m, VolumeStore volumes)
    {
        var options = new List<string>();
        switch (m.Type)
        {
            case "tmpfs":
                return new MountSpec { Destination = m.Destination, Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "nodev", "mode=1777", .. m.ReadOnly ? new[] { "ro" } : []] };
            case "volume":
                options.AddRange(["rbind", "rprivate"]);
                if (m.ReadOnly) options.Add("ro");
                return new MountSpec { Destination = m.Destination, Type = "bind", Source = volumes.DataPath(m.Source!), Options = options };
            default:
                if (!Path.Exists(m.Source)) throw new KapselException($"bind source \"{m.Source}\" does not exist");
                options.AddRange(["rbind", "rprivate"]);
                if (m.ReadOnly) options.Add("ro");
                return new MountSpec { Destination = m.Destination, Type = "bind", Source = m.Source, Options = options };
        }
    }

    /// <summary>--cap-add/--cap-drop on Docker's default set; "ALL" works both ways; names with or without CAP_.</summary>
    private static List<string> ApplyCapabilities(CapabilitiesSpec caps, InstanceConfig config)
    {
        var set = new List<string>(caps.Bounding ?? []);
        foreach (var drop in config.CapDrop.Select(Normalize))
        {
            if (drop == "CAP_ALL") set.Clear(); else set.Remove(drop);
        }
        foreach (var add in config.CapAdd.Select(Normalize))
        {
            if (add == "CAP_ALL") set = [.. KnownCapabilities];
            else if (!KnownCapabilities.Contains(add)) throw new KapselException($"unknown capability \"{add}\"");
            else if (!set.Contains(add)) set.Add(add);
        }
        foreach (var drop in config.CapDrop.Select(Normalize).Where(d => d != "CAP_ALL"))
            if (!KnownCapabilities.Contains(drop)) throw new KapselException($"unknown capability \"{drop}\"");
        caps.Bounding = [.. set]; caps.Effective = [.. set]; caps.Permitted = [.. set];
        return set;
    }

    private static IEnumerable<string> KnownCapabilities =>
        Linux.Interop.CapabilityCalls.Names.Take(Linux.Interop.CapabilityCalls.LastCap + 1);

    private static string Normalize(string name)
    {
        var upper = name.ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
    }
}

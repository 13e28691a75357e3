using Kapsel.Linux.Cgroups;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

/// <summary>Maps linux.resources / cgroupsPath onto the Kapsel.Linux cgroup manager.</summary>
internal static class CgroupBinding
{
    /// <summary>The cgroup path for a container: linux.cgroupsPath, or a per-runtime default.</summary>
    public static string PathFor(RuntimeSpec spec, string id, bool systemd)
    {
        var path = spec.Linux?.CgroupsPath;
        if (systemd) return SystemdScopeFor(spec, id).CgroupPath;
        if (string.IsNullOrEmpty(path)) return "/kapsel-runc/" + id;
        if (SystemdCgroupPath.IsSystemdForm(path))
            throw new OciException($"config.json: linux.cgroupsPath: \"{path}\" is a systemd slice:prefix:name path, but --systemd-cgroup was not given");
        return path;
    }

    /// <summary>
    /// --systemd-cgroup: the scope systemd is to create for the container ("slice:prefix:name", by
    /// default system.slice:kapsel-runc:ID). Fails in one line where systemd is not the init.
    /// </summary>
    public static SystemdCgroupPath SystemdScopeFor(RuntimeSpec spec, string id)
    {
        if (!Linux.DBus.SystemdManager.IsRunning)
            throw new OciException("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), so it cannot create the container's scope; run without --systemd-cgroup to use cgroupfs");
        var path = spec.Linux?.CgroupsPath;
        if (string.IsNullOrEmpty(path)) return new SystemdCgroupPath(SystemdCgroupPath.DefaultSlice, "kapsel-runc", id);
        try { return SystemdCgroupPath.Parse(path); }
        catch (ArgumentException e) { throw new OciException($"config.json: linux.cgroupsPath: {e.Message}"); }
    }

    /// <summary>Asks systemd (D-Bus, StartTransientUnit) for the container's scope, adopting its init; returns the unit name.</summary>
    public static string StartSystemdScope(RuntimeSpec spec, string id, int pid)
    {
        var scope = SystemdScopeFor(spec, id);
        try
        {
            using var bus = Linux.DBus.DBusConnection.Open();
            Linux.DBus.SystemdManager.StartTransientScope(bus, scope.UnitName, scope.Slice.Length > 0 ? scope.Slice : SystemdCgroupPath.DefaultSlice,
                [pid], $"kapsel-runc container {id}");
            return scope.UnitName;
        }
        catch (Linux.DBus.DBusException e) { throw new OciException($"--systemd-cgroup: systemd could not create scope {scope.UnitName}: {e.Message}", inner: e); }
    }

    /// <summary>Best effort: the scope also goes away by itself once its processes are gone.</summary>
    public static void StopSystemdScope(string unit, RuntimeContext ctx)
    {
        try
        {
            using var bus = Linux.DBus.DBusConnection.Open();
            Linux.DBus.SystemdManager.StopUnit(bus, unit);
        }
        catch (Linux.DBus.DBusException e) { ctx.DebugLog($"stopping systemd scope {unit}: {e.Message}"); }
    }

    public static CgroupResources Map(ResourcesSpec? r)
    {
        if (r is null) return new CgroupResources();
        return new CgroupResources
        {
            Memory = r.Memory is { } m ? new MemoryResources
            {
                Limit = m.Limit, Reservation = m.Reservation, Swap = m.Swap, Kernel = m.Kernel, KernelTcp = m.KernelTcp,
                Swappiness = m.Swappiness, DisableOomKiller = m.DisableOomKiller,
            } : null,
            Cpu = r.Cpu is { } c ? new CpuResources
            {
                Shares = c.Shares is 0 ? null : c.Shares, Quota = c.Quota is 0 ? null : c.Quota, Period = c.Period, Burst = c.Burst, RealtimeRuntime = c.RealtimeRuntime,
                RealtimePeriod = c.RealtimePeriod, Cpus = string.IsNullOrEmpty(c.Cpus) ? null : c.Cpus, Mems = string.IsNullOrEmpty(c.Mems) ? null : c.Mems, Idle = c.Idle,
            } : null,
            Pids = r.Pids is { } p ? new PidsResources(p.Limit <= 0 ? -1 : p.Limit) : null,
            BlockIo = r.BlockIo is { } b ? new BlockIoResources
            {
                Weight = b.Weight is 0 ? null : b.Weight, LeafWeight = b.LeafWeight is 0 ? null : b.LeafWeight, // 0: unset (Docker sends it)
                WeightDevice = b.WeightDevice?.Select(w => new BlockIoDeviceWeight(w.Major, w.Minor, w.Weight, w.LeafWeight)).ToList(),
                ThrottleReadBpsDevice = Throttle(b.ThrottleReadBpsDevice), ThrottleWriteBpsDevice = Throttle(b.ThrottleWriteBpsDevice),
                ThrottleReadIopsDevice = Throttle(b.ThrottleReadIopsDevice), ThrottleWriteIopsDevice = Throttle(b.ThrottleWriteIopsDevice),
            } : null,
            HugepageLimits = r.HugepageLimits?.Select(h => new HugepageLimit(h.PageSize, h.Limit)).ToList(),
            Devices = r.Devices is null ? null
                : r.Devices.Select(d => new DeviceRule(d.Allow, (d.Type ?? "a")[0], d.Major, d.Minor, d.Access ?? "rwm")).Concat(DefaultAllowedDevices).ToList(),
            Network = r.Network is { } n ? new NetworkResources
            {
                ClassId = n.ClassId, Priorities = n.Priorities?.Select(x => new NetworkInterfacePriority(x.Name, x.Priority)).ToList(),
            } : null,
            Unified = r.Unified,
        };
    }

    /// <summary>
    /// The devices every container gets (as runc): appended after the config's rules so a leading
    /// deny-all does not leave the container without /dev/null, /dev/tty or its ptys.
    /// </summary>
    public static readonly DeviceRule[] DefaultAllowedDevices =
    [
        new(true, 'c', 1, 3, "rwm"), new(true, 'c', 1, 5, "rwm"), new(true, 'c', 1, 7, "rwm"), new(true, 'c', 1, 8, "rwm"),
        new(true, 'c', 1, 9, "rwm"), new(true, 'c', 5, 0, "rwm"), new(true, 'c', 5, 1, "rwm"), new(true, 'c', 5, 2, "rwm"),
        new(true, 'c', 136, -1, "rwm"), new(true, 'c', 10, 200, "rwm"),
    ];

    private static List<BlockIoDeviceThrottle>? Throttle(List<ThrottleDeviceSpec>? list) =>
        list?.Select(t => new BlockIoDeviceThrottle(t.Major, t.Minor, t.Rate)).ToList();
}

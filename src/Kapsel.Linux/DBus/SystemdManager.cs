namespace Kapsel.Linux.DBus;

/// <summary>
/// The slice of systemd's org.freedesktop.systemd1.Manager API a container runtime needs: a
/// transient scope that adopts the container's init (as runc's and crun's systemd cgroup drivers
/// do), and stopping it.
/// </summary>
public static class SystemdManager
{
    public const string Destination = "org.freedesktop.systemd1";
    public const string ObjectPath = "/org/freedesktop/systemd1";
    public const string Interface = "org.freedesktop.systemd1.Manager";
    public const string StartTransientUnitSignature = "ssa(sv)a(sa(sv))";

    /// <summary>True when systemd is this host's init (the check sd_booted(3) makes).</summary>
    public static bool IsRunning => Directory.Exists("/run/systemd/system");

    /// <summary>StartTransientUnit(name, "fail", properties, []): returns the job's object path.</summary>
    public static string StartTransientScope(DBusConnection bus, string unit, string slice, IReadOnlyList<int> pids, string description) =>
        bus.Call(Destination, ObjectPath, Interface, "StartTransientUnit", StartTransientUnitSignature,
            w => WriteStartTransientScope(w, unit, slice, pids, description)).Body().String();

    /// <summary>StopUnit(name, "fail").</summary>
    public static void StopUnit(DBusConnection bus, string unit) =>
        bus.Call(Destination, ObjectPath, Interface, "StopUnit", "ss", w => { w.String(unit); w.String("fail"); });

    /// <summary>
    /// The arguments of StartTransientUnit for a scope: Description, Slice, PIDs, Delegate=yes (the
    /// runtime writes the container's limits itself) and DefaultDependencies=no (a scope that
    /// lives and dies with the container, not with shutdown ordering).
    /// </summary>
    public static void WriteStartTransientScope(DBusWriter w, string unit, string slice, IReadOnlyList<int> pids, string description)
    {
        w.String(unit);
        w.String("fail");
        using (w.Array(8))
        {
            Property(w, "Description", "s", () => w.String(description));
            Property(w, "Slice", "s", () => w.String(slice));
            Property(w, "PIDs", "au", () =>
            {
                using (w.Array(4))
                    foreach (var pid in pids) w.UInt32((uint)pid);
            });
            Property(w, "Delegate", "b", () => w.Boolean(true));
            Property(w, "DefaultDependencies", "b", () => w.Boolean(false));
        }
        using (w.Array(8)) { } // no auxiliary units
    }

    private static void Property(DBusWriter w, string name, string signature, Action value)
    {
        w.Struct();
        w.String(name);
        w.Variant(signature);
        value();
    }
}

using Kapsel.Linux.Spawn;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// process.apparmorProfile. Where the host runs AppArmor (Debian and Ubuntu do by default), the
/// profile — loaded by the host beforehand, like Podman's containers-default — is applied at the
/// process's own execve by writing "exec PROFILE" to its attr/apparmor/exec, as runc does. Where
/// AppArmor is off (as on these machines) nothing could enforce it: the field is ignored with a warning.
/// </summary>
internal static class AppArmor
{
    private static bool? _enabled;

    /// <summary>Read only when a config asks for a profile: it costs two file reads at start.</summary>
    public static bool Enabled() => _enabled ??=
        File.Exists("/sys/module/apparmor/parameters/enabled")
        && File.ReadAllText("/sys/module/apparmor/parameters/enabled").Trim() == "Y";

    public static void AddExecProfile(SpawnPlan plan, string? profile)
    {
        if (string.IsNullOrEmpty(profile) || !Enabled()) return;
        AddProfileStep(plan, profile, Directory.Exists("/proc/self/attr/apparmor"));
    }

    /// <summary>
    /// The step itself: the LSM-specific attr directory (Linux 5.8+) where the kernel has it, else the
    /// shared attr/exec. thread-self: the attribute is per thread; the trampoline is single-threaded.
    /// </summary>
    internal static void AddProfileStep(SpawnPlan plan, string profile, bool lsmSpecificAttr) =>
        plan.WriteFile(lsmSpecificAttr ? "/proc/thread-self/attr/apparmor/exec" : "/proc/thread-self/attr/exec", "exec " + profile);
}

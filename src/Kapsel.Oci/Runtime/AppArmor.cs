using Kapsel.Linux.Interop;
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

    /// <summary>
    /// Opens this task's exec attribute onto a fixed fd while /proc is still the host's procfs: the
    /// container's /proc could be missing or covered by a mount, and a write there would land in an
    /// ordinary file, leaving the process unconfined (CVE-2019-16884).
    /// </summary>
    public static void OpenExecAttribute(SpawnPlan plan, string? profile)
    {
        if (string.IsNullOrEmpty(profile) || !Enabled()) return;
        plan.OpenTo(AttributePath(Directory.Exists("/proc/self/attr/apparmor")), FileCalls.O_WRONLY | FileCalls.O_CLOEXEC, 0, ChildFds.AppArmorExec);
    }

    /// <summary>The profile takes effect at the next execve.</summary>
    public static void WriteExecProfile(SpawnPlan plan, string? profile)
    {
        if (string.IsNullOrEmpty(profile) || !Enabled()) return;
        AddProfileWrite(plan, profile);
    }

    /// <summary>
    /// The LSM-specific attr directory (Linux 5.8+) where the kernel has it, else the shared
    /// attr/exec. thread-self: the attribute is per thread; the trampoline is single-threaded.
    /// </summary>
    internal static string AttributePath(bool lsmSpecificAttr) =>
        lsmSpecificAttr ? "/proc/thread-self/attr/apparmor/exec" : "/proc/thread-self/attr/exec";

    internal static void AddProfileWrite(SpawnPlan plan, string profile) =>
        plan.Write($"apparmor exec profile \"{profile}\"", ChildFds.AppArmorExec, System.Text.Encoding.UTF8.GetBytes("exec " + profile))
            .Syscall("close(apparmor attr)", Kapsel.Linux.Interop.Sys.SYS_close, ChildFds.AppArmorExec);
}

using System.Runtime.InteropServices;
using Kapsel.Linux;
using Kapsel.Linux.Interop;

namespace Kapsel.Oci.Seccomp;

/// <summary>What the seccomp support understands, for runc-compatible <c>features</c> output (linux.seccomp).</summary>
public static class SeccompFeatures
{
    public static bool Enabled => true;

    public static IReadOnlyList<string> Actions => SeccompAction.Names;

    public static IReadOnlyList<string> Operators => SeccompOperators.Names;

    public static IReadOnlyList<string> Archs { get; } = SeccompArchitecture.All.Select(a => a.Token).Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<string> KnownFlags => SeccompFilterFlags.Names;

    /// <summary>
    /// The known flags this kernel accepts. Probed with seccomp(SET_MODE_FILTER, flag, NULL): the kernel
    /// checks flags (EINVAL) before reading the program (EFAULT), so nothing is ever installed.
    /// TSYNC is accepted in profiles (and ignored), so it counts as supported.
    /// </summary>
    public static IReadOnlyList<string> SupportedFlags()
    {
        var supported = new List<string>();
        foreach (var name in KnownFlags)
        {
            var flag = SeccompFilterFlags.Parse(name, "flags");
            if (flag == SeccompFilterFlags.Tsync || KernelAccepts(flag)) supported.Add(name);
        }
        return supported;
    }

    private static bool KernelAccepts(uint flag)
    {
        // WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER.
        if (flag == SeccompFilterFlags.WaitKillableRecv) flag |= SeccompFilterFlags.NewListener;
        var result = Sys.Syscall(Sys.SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flag, 0);
        return result < 0 && Marshal.GetLastPInvokeError() == Errnos.EFAULT;
    }
}

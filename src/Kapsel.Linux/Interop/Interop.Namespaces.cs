namespace Kapsel.Linux.Interop;

/// <summary>Namespace clone flags, setns(2) and unshare(2) (parent-side use is rare: see HOST.md).</summary>
public static class NamespaceCalls
{
    public const ulong CLONE_NEWTIME = 0x80, CLONE_NEWNS = 0x20000, CLONE_NEWCGROUP = 0x02000000,
        CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000,
        CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    public static void Setns(int fd, ulong nstype) =>
        SyscallException.Check(Sys.Syscall(Sys.SYS_setns, fd, (long)nstype), $"setns({fd}, 0x{nstype:x})");

    public static void Unshare(ulong flags) =>
        SyscallException.Check(Sys.Syscall(Sys.SYS_unshare, (long)flags), $"unshare(0x{flags:x})");
}

using System.Runtime.InteropServices;

namespace Kapsel.Linux.Interop;

/// <summary>Raw syscall entry and the x86-64 syscall numbers the spawn plans and raw calls use.</summary>
public static partial class Sys
{
    public const string Libc = "libc.so.6";

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long nr, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0);

    static Sys()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException("Kapsel currently supports x86-64 Linux only");
    }

    // x86-64 numbers (arch/x86/entry/syscalls/syscall_64.tbl).
    public const long SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_ioctl = 16,
        SYS_access = 21, SYS_dup2 = 33, SYS_getpid = 39, SYS_sendmsg = 46, SYS_execve = 59, SYS_kill = 62,
        SYS_chdir = 80, SYS_fchdir = 81, SYS_mkdir = 83, SYS_symlink = 88, SYS_chmod = 90, SYS_fchmod = 91,
        SYS_chown = 92, SYS_fchown = 93, SYS_lchown = 94, SYS_umask = 95, SYS_setsid = 112,
        SYS_setgroups = 116, SYS_setresuid = 117, SYS_setresgid = 119, SYS_capget = 125, SYS_capset = 126,
        SYS_mknod = 133, SYS_personality = 135, SYS_setpriority = 141, SYS_pivot_root = 155, SYS_prctl = 157,
        SYS_chroot = 161, SYS_mount = 165, SYS_umount2 = 166, SYS_sethostname = 170, SYS_setdomainname = 171,
        SYS_waitid = 247, SYS_keyctl = 250, SYS_ioprio_set = 251, SYS_openat = 257, SYS_mkdirat = 258,
        SYS_mknodat = 259, SYS_fchownat = 260, SYS_unshare = 272, SYS_dup3 = 292, SYS_pipe2 = 293,
        SYS_prlimit64 = 302, SYS_setns = 308, SYS_sched_setattr = 314, SYS_seccomp = 317, SYS_execveat = 322,
        SYS_pidfd_send_signal = 424, SYS_open_tree = 428, SYS_move_mount = 429, SYS_fsopen = 430,
        SYS_fsconfig = 431, SYS_fsmount = 432, SYS_pidfd_open = 434, SYS_clone3 = 435, SYS_close_range = 436,
        SYS_openat2 = 437, SYS_pidfd_getfd = 438, SYS_mount_setattr = 442;
}

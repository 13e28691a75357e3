using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using static Kapsel.Linux.Interop.Sys;

namespace Kapsel.Oci.Runtime;

/// <summary>Spawn-plan steps the OCI runtime needs beyond the generic ones in <see cref="SpawnPlan"/>.</summary>
internal static unsafe class PlanSteps
{
    public const ulong TIOCSCTTY = 0x540E, TIOCSWINSZ = 0x5414, TIOCSPTLCK = 0x40045431, TIOCGPTPEER = 0x5441;

    /// <summary>open(O_CREAT) + close: makes an empty file to mount over (ignored if it fails, e.g. it exists as a dir).</summary>
    public static SpawnPlan CreateFile(this SpawnPlan plan, string path)
    {
        plan.OpenTo(path, FileCalls.O_CREAT | FileCalls.O_WRONLY | FileCalls.O_CLOEXEC | FileCalls.O_NOFOLLOW, 0x1a4, SpawnPlan.ScratchFd, optional: true);
        return plan.Close(SpawnPlan.ScratchFd);
    }

    /// <summary>Optional mkdir of every directory from <paramref name="below"/> (exclusive) down to <paramref name="path"/> (inclusive).</summary>
    public static SpawnPlan MkdirAll(this SpawnPlan plan, string below, string path, bool includeLast = true)
    {
        if (!path.StartsWith(below, StringComparison.Ordinal)) return plan;
        var rest = path[below.Length..].Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = below.TrimEnd('/');
        for (var i = 0; i < rest.Length - (includeLast ? 0 : 1); i++)
        {
            current += "/" + rest[i];
            plan.Mkdir(current, optional: true);
        }
        return plan;
    }

    /// <summary>openat(dirfd, name) onto a fixed fd; with an O_PATH dirfd this reaches host files after pivot_root without any path to them.</summary>
    public static SpawnPlan OpenAt(this SpawnPlan plan, int dirFd, string name, int flags, int targetFd) =>
        plan.Syscall($"openat({dirFd}, \"{name}\", 0x{flags:x})", SYS_openat, dirFd, plan.Str(name), flags, 0,
            flags: SpawnStepFlags.ResultToFd | SpawnStepFlags.RepeatOnEintr, targetFd: targetFd);

    /// <summary>
    /// openat2(<paramref name="rootFd"/>, path, O_PATH|O_DIRECTORY, RESOLVE_IN_ROOT) onto
    /// <paramref name="targetFd"/>: symlinks and ".." resolve as if the rootfs were "/", so what a
    /// hostile rootfs links to can never lead outside it. Optional: a later step using the fd fails
    /// (EBADF) and is optional too.
    /// </summary>
    public static SpawnPlan OpenDirInRoot(this SpawnPlan plan, int rootFd, string path, int targetFd)
    {
        var how = new FileCalls.OpenHow
        {
            Flags = (ulong)(FileCalls.O_PATH | FileCalls.O_DIRECTORY | FileCalls.O_CLOEXEC), Resolve = FileCalls.RESOLVE_IN_ROOT,
        };
        var relative = path.Trim('/');
        return plan.Syscall($"open \"{path}\" in the rootfs", SYS_openat2, rootFd, plan.Str(relative.Length == 0 ? "." : relative),
            plan.Struct(how), sizeof(FileCalls.OpenHow),
            flags: SpawnStepFlags.ResultToFd | SpawnStepFlags.Optional | SpawnStepFlags.RepeatOnEintr | SpawnStepFlags.RepeatOnEagain,
            targetFd: targetFd);
    }

    /// <summary>Optional mkdir of each directory of <paramref name="dir"/> (a rootfs path), each resolved in the rootfs.</summary>
    public static SpawnPlan MkdirAllInRoot(this SpawnPlan plan, int rootFd, string dir)
    {
        var parts = dir.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var parent = "/";
        foreach (var part in parts)
        {
            plan.OpenDirInRoot(rootFd, parent, SpawnPlan.ScratchFd);
            plan.Syscall($"mkdirat(\"{parent}\", \"{part}\")", SYS_mkdirat, SpawnPlan.ScratchFd, plan.Str(part), 0x1ed, flags: SpawnStepFlags.Optional);
            plan.Close(SpawnPlan.ScratchFd);
            parent = parent.TrimEnd('/') + "/" + part;
        }
        return plan;
    }

    /// <summary>
    /// CVE-2019-5736: until its execve the process is a clone of the runtime, so an executable path
    /// that is, or passes through, a magic link such as /proc/self/exe would run the runtime's own
    /// binary inside the container, which could then reopen it and overwrite it on the host. Right
    /// before execve, in the container's view, the path is opened O_PATH with RESOLVE_NO_MAGICLINKS:
    /// ELOOP refuses it. (The fd is close-on-exec; other errors — say, a seccomp profile that denies
    /// openat2 — are left to execve itself to report.)
    /// </summary>
    public static SpawnPlan RefuseMagicLinkExecutable(this SpawnPlan plan, string path)
    {
        var how = new FileCalls.OpenHow { Flags = (ulong)(FileCalls.O_PATH | FileCalls.O_CLOEXEC), Resolve = FileCalls.RESOLVE_NO_MAGICLINKS };
        return plan.Syscall($"check \"{path}\" (an executable must not be a magic link such as /proc/self/exe)", SYS_openat2,
            FileCalls.AT_FDCWD, plan.Str(path), plan.Struct(how), sizeof(FileCalls.OpenHow),
            flags: SpawnStepFlags.FailOnlyOnErrno | SpawnStepFlags.RepeatOnEintr, targetFd: Errnos.ELOOP);
    }

    /// <summary>
    /// CVE-2024-21626: the working directory is entered by fd, opened with RESOLVE_NO_MAGICLINKS in
    /// the container's view, so a cwd like /proc/self/fd/N can never land the process on a
    /// directory the runtime still holds open on the host (its state directory, for one).
    /// </summary>
    public static SpawnPlan ChdirInContainer(this SpawnPlan plan, string cwd)
    {
        var how = new FileCalls.OpenHow
        {
            Flags = (ulong)(FileCalls.O_PATH | FileCalls.O_DIRECTORY | FileCalls.O_CLOEXEC), Resolve = FileCalls.RESOLVE_NO_MAGICLINKS,
        };
        plan.Syscall($"open working directory \"{cwd}\" (it must not pass through a magic link such as /proc/self/fd/N)", SYS_openat2,
            FileCalls.AT_FDCWD, plan.Str(cwd), plan.Struct(how), sizeof(FileCalls.OpenHow),
            flags: SpawnStepFlags.ResultToFd | SpawnStepFlags.RepeatOnEintr, targetFd: SpawnPlan.ScratchFd);
        plan.Syscall($"fchdir(\"{cwd}\")", SYS_fchdir, SpawnPlan.ScratchFd);
        return plan.Close(SpawnPlan.ScratchFd);
    }

    /// <summary>ioctl with a pointer to a 32-bit int argument.</summary>
    public static SpawnPlan IoctlInt(this SpawnPlan plan, string what, int fd, ulong request, int value)
    {
        var arg = plan.Bytes(BitConverter.GetBytes(value));
        return plan.Ioctl(what, fd, request, arg);
    }

    public static SpawnPlan SetWindowSize(this SpawnPlan plan, int fd, uint rows, uint cols)
    {
        var ws = stackalloc ushort[4] { (ushort)rows, (ushort)cols, 0, 0 };
        return plan.Ioctl($"TIOCSWINSZ {rows}x{cols}", fd, TIOCSWINSZ, plan.Bytes(new ReadOnlySpan<byte>(ws, 8)), optional: true);
    }

    /// <summary>sendmsg(socket, "payload" + SCM_RIGHTS[fd]): hands a pty master to the console socket's owner.</summary>
    public static SpawnPlan SendFd(this SpawnPlan plan, int socketFd, int fd, string payload)
    {
        var data = System.Text.Encoding.UTF8.GetBytes(payload);
        var dataPtr = plan.Bytes(data);
        var iov = stackalloc long[2] { dataPtr, data.Length };
        var iovPtr = plan.Bytes(new ReadOnlySpan<byte>(iov, 16));
        // struct cmsghdr { size_t len; int level; int type; } + one int, padded to 8: 24 bytes.
        var cmsg = stackalloc byte[24];
        *(long*)cmsg = 20; // CMSG_LEN(sizeof(int))
        *(int*)(cmsg + 8) = 1; // SOL_SOCKET
        *(int*)(cmsg + 12) = 1; // SCM_RIGHTS
        *(int*)(cmsg + 16) = fd;
        var cmsgPtr = plan.Bytes(new ReadOnlySpan<byte>(cmsg, 24));
        // struct msghdr { void* name; socklen_t namelen; iovec* iov; size_t iovlen; void* control; size_t controllen; int flags; }
        var msg = stackalloc long[7] { 0, 0, iovPtr, 1, cmsgPtr, 24, 0 };
        return plan.Syscall($"sendmsg(console socket, SCM_RIGHTS pty master)", SYS_sendmsg, socketFd,
            plan.Bytes(new ReadOnlySpan<byte>(msg, 56)), 0, flags: SpawnStepFlags.RepeatOnEintr);
    }

    public static SpawnPlan Personality(this SpawnPlan plan, ulong persona) =>
        plan.Syscall($"personality(0x{persona:x})", SYS_personality, (long)persona);

    public static SpawnPlan IoprioSet(this SpawnPlan plan, int ioClass, int priority) =>
        plan.Syscall($"ioprio_set(class={ioClass}, prio={priority})", SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (ioClass << 13) | priority);

    /// <summary>sched_setattr(0, attr, 0) with the VER0 (48-byte) struct.</summary>
    public static SpawnPlan SchedSetattr(this SpawnPlan plan, uint policy, ulong flags, int nice, uint priority, ulong runtime, ulong deadline, ulong period)
    {
        var attr = stackalloc byte[48];
        *(uint*)attr = 48;
        *(uint*)(attr + 4) = policy;
        *(ulong*)(attr + 8) = flags;
        *(int*)(attr + 16) = nice;
        *(uint*)(attr + 20) = priority;
        *(ulong*)(attr + 24) = runtime;
        *(ulong*)(attr + 32) = deadline;
        *(ulong*)(attr + 40) = period;
        return plan.Syscall($"sched_setattr(policy={policy}, nice={nice}, prio={priority})", SYS_sched_setattr, 0, plan.Bytes(new ReadOnlySpan<byte>(attr, 48)), 0);
    }

    /// <summary>set_mempolicy(mode|flags, nodemask, maxnode).</summary>
    public static SpawnPlan SetMempolicy(this SpawnPlan plan, int modeAndFlags, ulong[] nodemask) 
    {
        fixed (ulong* p = nodemask)
        {
            var mask = nodemask.Length == 0 ? 0 : plan.Bytes(new ReadOnlySpan<byte>(p, nodemask.Length * 8));
            return plan.Syscall($"set_mempolicy(0x{modeAndFlags:x})", 238 /* SYS_set_mempolicy */, modeAndFlags, mask, nodemask.Length * 64 + (nodemask.Length == 0 ? 0 : 1));
        }
    }

    /// <summary>keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL): a fresh anonymous session keyring, so the container does not share the runtime's.</summary>
    public static SpawnPlan JoinNewSessionKeyring(this SpawnPlan plan) =>
        plan.Syscall("keyctl(KEYCTL_JOIN_SESSION_KEYRING)", SYS_keyctl, 1, 0, flags: SpawnStepFlags.Optional);
}

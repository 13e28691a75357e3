using System.Runtime.InteropServices;
using Kapsel.Linux.Interop;
using static Kapsel.Linux.Interop.Sys;

namespace Kapsel.Linux.Spawn;

/// <summary>
/// Everything a new process does between clone and execve, decided in C# and recorded as a list
/// of raw syscalls for the native trampoline (native/spawn.c) to replay. Strings and structs the
/// steps point to live in native memory owned by the plan; the child gets its own copy at clone,
/// so the plan can be disposed as soon as <see cref="Spawner.Spawn"/> returns.
/// </summary>
public sealed unsafe class SpawnPlan : IDisposable
{
    private readonly List<nint> _allocations = [];
    private readonly List<NativeSpawn.Step> _steps = [];
    private readonly List<string> _descriptions = [];

    /// <summary>CLONE_NEW* flags for clone3.</summary>
    public ulong CloneFlags { get; set; }

    /// <summary>An open cgroup v2 directory fd to start the child in (CLONE_INTO_CGROUP), or -1.</summary>
    public int CgroupFd { get; set; } = -1;

    /// <summary>
    /// With CLONE_NEWUSER: the maps the parent writes before releasing the child
    /// (the child's first step waits on a sync pipe for that).
    /// </summary>
    public IdMappings? UserNamespaceMappings { get; set; }

    /// <summary>
    /// An open /proc/PID/ns/pid fd: the child is created inside that PID namespace (for exec into
    /// a running container). setns(CLONE_NEWPID) only affects children, so the Spawner does it on a
    /// short-lived dedicated thread around the clone, never on a runtime thread.
    /// </summary>
    public int JoinPidNamespaceFd { get; set; } = -1;

    /// <summary>Scratch fd number used by steps that open, write and close a file.</summary>
    public const int ScratchFd = 1013;

    /// <summary>Pseudo syscall number of <see cref="Run"/> (KS_RUN in native/spawn.c).</summary>
    public const long RunStep = -1;

    /// <summary>A run step's failure value for a non-zero exit: this bit | the wait status (KS_RUN_STATUS).</summary>
    public const int RunStatusBit = 0x10000;

    // Steps whose second argument is the error pipe's fd number, known only at Build.
    private readonly List<int> _errorFdSteps = [];

    public int StepCount => _steps.Count;
    public string Describe(int step) => step >= 0 && step < _descriptions.Count ? _descriptions[step] : "end of plan";
    public bool IsExecStep(int step) => step >= 0 && step < _steps.Count && _steps[step].Nr == SYS_execve;

    // ---- native memory ---------------------------------------------------------------------

    public nint Bytes(ReadOnlySpan<byte> data)
    {
        var p = (nint)NativeMemory.AllocZeroed((nuint)Math.Max(data.Length, 1));
        _allocations.Add(p);
        data.CopyTo(new Span<byte>((void*)p, data.Length));
        return p;
    }

    public nint Str(string? s) => s is null ? 0 : Bytes(Utf8.Z(s));

    /// <summary>A NULL-terminated array of C strings (argv/envp).</summary>
    public nint StrArray(IReadOnlyList<string> items)
    {
        var p = (nint*)NativeMemory.AllocZeroed((nuint)((items.Count + 1) * sizeof(nint)));
        _allocations.Add((nint)p);
        for (var i = 0; i < items.Count; i++) p[i] = Str(items[i]);
        return (nint)p;
    }

    public nint Struct<T>(T value) where T : unmanaged =>
        Bytes(new ReadOnlySpan<byte>(&value, sizeof(T)));

    private readonly List<int> _parentOnly = [];

    /// <summary>
    /// Fds of the spawning process the child inherits at clone but must not hold: the parent's
    /// ends of sync pipes. The child closes them first thing, so a parent that dies or gives up
    /// always means EOF at the child's next sync read, never a child blocked forever on a pipe
    /// whose write end it holds itself.
    /// </summary>
    public SpawnPlan ParentOnly(params int[] fds)
    {
        foreach (var fd in fds) if (fd >= 0 && !_parentOnly.Contains(fd)) _parentOnly.Add(fd);
        return this;
    }

    internal IReadOnlyList<int> ParentOnlyFds => _parentOnly;

    // ---- steps -----------------------------------------------------------------------------

    /// <summary>Appends one raw syscall step. The description is what an error message shows.</summary>
    public SpawnPlan Syscall(string description, long nr, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0,
        long a4 = 0, long a5 = 0, SpawnStepFlags flags = SpawnStepFlags.None, int targetFd = -1)
    {
        _steps.Add(new NativeSpawn.Step
        {
            Nr = nr, A0 = a0, A1 = a1, A2 = a2, A3 = a3, A4 = a4, A5 = a5, Flags = (uint)flags, TargetFd = targetFd,
        });
        _descriptions.Add(description);
        return this;
    }

    internal void InsertFirst(string description, long nr, long a0, long a1, long a2, SpawnStepFlags flags)
    {
        _steps.Insert(0, new NativeSpawn.Step { Nr = nr, A0 = a0, A1 = a1, A2 = a2, Flags = (uint)flags, TargetFd = -1 });
        _descriptions.Insert(0, description);
        for (var i = 0; i < _errorFdSteps.Count; i++) _errorFdSteps[i]++;
    }

    private static SpawnStepFlags Opt(bool optional) => optional ? SpawnStepFlags.Optional : SpawnStepFlags.None;

    public SpawnPlan Mount(string? source, string target, string? fstype, ulong flags, string? data = null, bool optional = false) =>
        Syscall($"mount(\"{source}\", \"{target}\", \"{fstype}\", 0x{flags:x}, \"{data}\")",
            SYS_mount, Str(source), Str(target), Str(fstype), (long)flags, Str(data), flags: Opt(optional));

    /// <summary>Attaches a detached mount tree (an open_tree fd the child inherited at clone) at <paramref name="target"/>.</summary>
    public SpawnPlan MoveMount(int treeFd, string target) =>
        Syscall($"move_mount(tree fd {treeFd}, \"{target}\")", SYS_move_mount, treeFd, Str(""), FileCalls.AT_FDCWD, Str(target),
            MountApiCalls.MOVE_MOUNT_F_EMPTY_PATH);

    /// <summary>mount_setattr(2) on the mount at <paramref name="target"/>, or on every mount below it if recursive.</summary>
    public SpawnPlan MountSetattr(string target, bool recursive, ulong set, ulong clear) =>
        Syscall($"mount_setattr(\"{target}\", {(recursive ? "AT_RECURSIVE, " : "")}set 0x{set:x}, clear 0x{clear:x})",
            SYS_mount_setattr, FileCalls.AT_FDCWD, Str(target), recursive ? MountApiCalls.AT_RECURSIVE : 0,
            Struct(new MountApiCalls.MountAttr { AttrSet = set, AttrClr = clear }), sizeof(MountApiCalls.MountAttr));

    public SpawnPlan Umount(string target, int flags, bool optional = false) =>
        Syscall($"umount2(\"{target}\", {flags})", SYS_umount2, Str(target), flags, flags: Opt(optional));

    public SpawnPlan Chdir(string path) => Syscall($"chdir(\"{path}\")", SYS_chdir, Str(path));

    public SpawnPlan Chroot(string path) => Syscall($"chroot(\"{path}\")", SYS_chroot, Str(path));

    public SpawnPlan PivotRoot(string newRoot, string putOld) =>
        Syscall($"pivot_root(\"{newRoot}\", \"{putOld}\")", SYS_pivot_root, Str(newRoot), Str(putOld));

    public SpawnPlan Mkdir(string path, int mode = 0x1ed /* 0755 */, bool optional = false) =>
        Syscall($"mkdir(\"{path}\", 0{Convert.ToString(mode, 8)})", SYS_mkdir, Str(path), mode, flags: Opt(optional));

    public SpawnPlan Symlink(string target, string linkPath, bool optional = false) =>
        Syscall($"symlink(\"{target}\", \"{linkPath}\")", SYS_symlink, Str(target), Str(linkPath), flags: Opt(optional));

    public SpawnPlan Mknod(string path, int mode, ulong dev, bool optional = false) =>
        Syscall($"mknod(\"{path}\", 0{Convert.ToString(mode, 8)}, 0x{dev:x})", SYS_mknod, Str(path), mode, (long)dev, flags: Opt(optional));

    public SpawnPlan Chown(string path, int uid, int gid, bool optional = false) =>
        Syscall($"chown(\"{path}\", {uid}, {gid})", SYS_chown, Str(path), uid, gid, flags: Opt(optional));

    public SpawnPlan SetHostname(string name) =>
        Syscall($"sethostname(\"{name}\")", SYS_sethostname, Str(name), System.Text.Encoding.UTF8.GetByteCount(name));

    public SpawnPlan SetDomainname(string name) =>
        Syscall($"setdomainname(\"{name}\")", SYS_setdomainname, Str(name), System.Text.Encoding.UTF8.GetByteCount(name));

    public SpawnPlan Setns(int fd, ulong nstype, string what) =>
        Syscall($"setns({what}, 0x{nstype:x})", SYS_setns, fd, (long)nstype);

    public SpawnPlan Unshare(ulong flags) => Syscall($"unshare(0x{flags:x})", SYS_unshare, (long)flags);

    public SpawnPlan SetGroups(IReadOnlyList<uint> gids)
    {
        var arr = gids.ToArray();
        fixed (uint* p = arr)
            return Syscall($"setgroups([{string.Join(",", arr)}])", SYS_setgroups, arr.Length,
                Bytes(new ReadOnlySpan<byte>(p, arr.Length * sizeof(uint))));
    }

    public SpawnPlan SetResGid(uint gid) => Syscall($"setresgid({gid})", SYS_setresgid, gid, gid, gid);

    public SpawnPlan SetResUid(uint uid) => Syscall($"setresuid({uid})", SYS_setresuid, uid, uid, uid);

    public SpawnPlan Prctl(string what, int option, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0, bool optional = false) =>
        Syscall($"prctl({what})", SYS_prctl, option, a2, a3, a4, a5, flags: Opt(optional));

    /// <summary>capset(2) with v3 headers: the three 64-bit sets for the calling thread.</summary>
    public SpawnPlan Capset(ulong effective, ulong permitted, ulong inheritable)
    {
        var header = stackalloc int[2] { CapabilityCalls.LINUX_CAPABILITY_VERSION_3, 0 };
        var data = stackalloc uint[6]
        {
            (uint)effective, (uint)permitted, (uint)inheritable,
            (uint)(effective >> 32), (uint)(permitted >> 32), (uint)(inheritable >> 32),
        };
        return Syscall($"capset(eff=0x{effective:x}, perm=0x{permitted:x}, inh=0x{inheritable:x})", SYS_capset,
            Bytes(new ReadOnlySpan<byte>(header, 8)), Bytes(new ReadOnlySpan<byte>(data, 24)));
    }

    /// <summary>seccomp(SECCOMP_SET_MODE_FILTER) with a classic BPF program (8-byte sock_filter entries).</summary>
    public SpawnPlan Seccomp(ReadOnlySpan<byte> program, uint flags, int listenerTargetFd = -1)
    {
        var filter = Bytes(program);
        var fprog = stackalloc byte[16];
        *(ushort*)fprog = (ushort)(program.Length / 8);
        *(nint*)(fprog + 8) = filter;
        return Syscall($"seccomp(SET_MODE_FILTER, flags=0x{flags:x}, {program.Length / 8} instructions)", SYS_seccomp,
            1 /* SECCOMP_SET_MODE_FILTER */, flags, Bytes(new ReadOnlySpan<byte>(fprog, 16)),
            flags: listenerTargetFd >= 0 ? SpawnStepFlags.ResultToFd : SpawnStepFlags.None, targetFd: listenerTargetFd);
    }

    public SpawnPlan SetRlimit(int resource, ulong soft, ulong hard)
    {
        var limits = stackalloc ulong[2] { soft, hard };
        return Syscall($"prlimit64({RlimitCalls.Names[resource]}, soft={soft}, hard={hard})", SYS_prlimit64,
            0, resource, Bytes(new ReadOnlySpan<byte>(limits, 16)), 0);
    }

    public SpawnPlan Umask(int mask) => Syscall($"umask(0{Convert.ToString(mask, 8)})", SYS_umask, mask);

    public SpawnPlan Setsid() => Syscall("setsid()", 112 /* SYS_setsid */);

    public SpawnPlan Ioctl(string what, int fd, ulong request, long arg, int resultTargetFd = -1, bool optional = false) =>
        Syscall($"ioctl({fd}, {what})", SYS_ioctl, fd, (long)request, arg,
            flags: (resultTargetFd >= 0 ? SpawnStepFlags.ResultToFd : 0) | Opt(optional), targetFd: resultTargetFd);

    /// <summary>dup3(old, new, 0): the new fd is inherited across execve.</summary>
    public SpawnPlan Dup(int oldFd, int newFd) =>
        oldFd == newFd
            ? Syscall($"fcntl({oldFd}, F_SETFD, 0)", 72 /* SYS_fcntl */, oldFd, 2 /* F_SETFD */, 0)
            : Syscall($"dup3({oldFd}, {newFd})", SYS_dup3, oldFd, newFd, 0);

    public SpawnPlan Close(int fd) => Syscall($"close({fd})", SYS_close, fd, flags: SpawnStepFlags.Optional);

    /// <summary>Marks every fd from <paramref name="first"/> up close-on-exec, so none leaks into the process.</summary>
    public SpawnPlan CloseOnExecFrom(int first) =>
        Syscall($"close_range({first}, ~0, CLOSE_RANGE_CLOEXEC)", SYS_close_range, first, uint.MaxValue, 4 /* CLOSE_RANGE_CLOEXEC */);

    /// <summary>Opens a path in the child and places the result on a fixed fd number.</summary>
    public SpawnPlan OpenTo(string path, int flags, int mode, int targetFd, bool optional = false) =>
        Syscall($"open(\"{path}\", 0x{flags:x})", SYS_open, Str(path), flags, mode,
            flags: SpawnStepFlags.ResultToFd | Opt(optional), targetFd: targetFd);

    /// <summary>Writes bytes to an fd the child holds.</summary>
    public SpawnPlan Write(string what, int fd, ReadOnlySpan<byte> data, bool optional = false) =>
        Syscall($"write({what})", SYS_write, fd, Bytes(data), data.Length, flags: Opt(optional) | SpawnStepFlags.RepeatOnEintr);

    /// <summary>Writes a whole small file in the child (sysctls, oom_score_adj, ...).</summary>
    public SpawnPlan WriteFile(string path, string content, bool optional = false)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        OpenTo(path, FileCalls.O_WRONLY | FileCalls.O_CLOEXEC, 0, ScratchFd, optional);
        Syscall($"write(\"{path}\", \"{content.Trim()}\")", SYS_write, ScratchFd, Bytes(bytes), bytes.Length,
            flags: Opt(optional));
        return Close(ScratchFd);
    }

    /// <summary>Blocks until one byte arrives on fd (EOF = the parent gave up: fail).</summary>
    public SpawnPlan WaitByte(string what, int fd) =>
        Syscall($"read({what})", SYS_read, fd, Bytes(new byte[8]), 1,
            flags: SpawnStepFlags.FailIfZero | SpawnStepFlags.RepeatOnEintr);

    /// <summary>
    /// Runs a program to completion in the child (fork, stdin/stdout/stderr, execve, wait with an
    /// optional timeout after which it is killed). The step fails on a non-zero exit
    /// (<see cref="RunStatusBit"/> | wait status), on timeout (ETIMEDOUT), or with the errno of its execve.
    /// </summary>
    public SpawnPlan Run(string description, string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp,
        int stdinFd, int outputFd, int timeoutMs) =>
        Syscall(description, RunStep, Str(path), StrArray(argv), StrArray(envp), stdinFd, outputFd, timeoutMs);

    /// <summary>
    /// From here on the child reports a failing step on <paramref name="fd"/> instead of the error pipe
    /// (dup3 onto the pipe's fd number, close-on-exec): for steps that run after the spawning process is gone.
    /// </summary>
    public SpawnPlan ReportErrorsTo(int fd)
    {
        _errorFdSteps.Add(_steps.Count);
        return Syscall($"dup3({fd}, error pipe, O_CLOEXEC)", SYS_dup3, fd, -1, FileCalls.O_CLOEXEC);
    }

    /// <summary>Index of the first <see cref="ReportErrorsTo"/> step (after any steps the Spawner inserted), or -1.</summary>
    public int ErrorRedirectStep => _errorFdSteps.Count > 0 ? _errorFdSteps[0] : -1;

    public SpawnPlan Execve(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp) =>
        Syscall($"execve(\"{path}\")", SYS_execve, Str(path), StrArray(argv), StrArray(envp));

    // ---- finalisation ----------------------------------------------------------------------

    /// <summary>Lays the steps out as the native ks_plan; valid until the plan is disposed.</summary>
    internal NativeSpawn.Plan* Build(int errorFd)
    {
        var steps = (NativeSpawn.Step*)NativeMemory.AllocZeroed((nuint)(Math.Max(_steps.Count, 1) * sizeof(NativeSpawn.Step)));
        _allocations.Add((nint)steps);
        for (var i = 0; i < _steps.Count; i++) steps[i] = _steps[i];
        foreach (var i in _errorFdSteps) steps[i].A1 = errorFd;
        var plan = (NativeSpawn.Plan*)NativeMemory.AllocZeroed((nuint)sizeof(NativeSpawn.Plan));
        _allocations.Add((nint)plan);
        plan->CloneFlags = CloneFlags;
        plan->ErrorFd = errorFd;
        plan->CgroupFd = CgroupFd;
        plan->StepCount = _steps.Count;
        plan->Steps = steps;
        return plan;
    }

    public void Dispose()
    {
        foreach (var p in _allocations) NativeMemory.Free((void*)p);
        _allocations.Clear();
    }
}

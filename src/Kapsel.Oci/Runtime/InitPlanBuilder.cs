using Kapsel.Linux.Fs;
using Kapsel.Linux.Cgroups;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Interop;
using Kapsel.Oci.Spec;
using static Kapsel.Linux.Interop.MountCalls;
using static Kapsel.Linux.Interop.NamespaceCalls;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// Turns a validated config into the spawn plan of the container's init process: namespaces,
/// mounts, devices, console, pivot_root, masked/readonly paths, process setup, the exec-fifo
/// wait and execve. Paths inside the rootfs are resolved on the host beforehand (see
/// <see cref="RootfsPaths"/>); the child only replays syscalls.
/// </summary>
internal sealed class InitPlanBuilder
{
    private readonly InitPlanInput _in;
    private readonly RuntimeSpec _spec;
    private readonly LinuxSpec _linux;
    private readonly string _root;
    private readonly bool _newUserNs;
    private readonly bool _inUserNs;
    private readonly bool _newNetNs;
    private readonly bool _newCgroupNs;
    private SpawnPlan _plan = null!;

    public static readonly (string Path, uint Major, uint Minor)[] DefaultDevices =
        [("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0)];

    public InitPlanBuilder(InitPlanInput input)
    {
        _in = input;
        _spec = input.Spec;
        _linux = input.Spec.Linux!;
        _root = input.Rootfs.Root;
        _newUserNs = HasNew("user");
        _inUserNs = _newUserNs || Has("user");
        _newNetNs = HasNew("network");
        _newCgroupNs = HasNew("cgroup");
    }

    private bool Has(string type) => _linux.Namespaces?.Any(n => n.Type == type) == true;
    private bool HasNew(string type) => _linux.Namespaces?.Any(n => n.Type == type && string.IsNullOrEmpty(n.Path)) == true;

    public static ulong CloneFlagOf(string type) => type switch
    {
        "pid" => CLONE_NEWPID, "network" => CLONE_NEWNET, "mount" => CLONE_NEWNS, "ipc" => CLONE_NEWIPC,
        "uts" => CLONE_NEWUTS, "user" => CLONE_NEWUSER, "cgroup" => CLONE_NEWCGROUP, "time" => CLONE_NEWTIME, _ => 0,
    };

    public SpawnPlan Build()
    {
        _plan = new SpawnPlan();
        try
        {
            BuildSteps();
            return _plan;
        }
        catch
        {
            _plan.Dispose();
            throw;
        }
    }

    private void BuildSteps()
    {
        var plan = _plan;
        // cgroup and time namespaces are unshared later in the child: the cgroup namespace root must be
        // the container's cgroup (joined after clone), and time offsets can only be written before entry.
        foreach (var ns in _linux.Namespaces ?? [])
            if (string.IsNullOrEmpty(ns.Path) && ns.Type is not ("cgroup" or "time"))
                plan.CloneFlags |= CloneFlagOf(ns.Type);
        if (_newUserNs)
            plan.UserNamespaceMappings = new IdMappings(Map(_linux.UidMappings), Map(_linux.GidMappings));
        plan.JoinPidNamespaceFd = _in.JoinPidFd;

        // CVE-2019-5736: the child runs no runtime code (it is the native trampoline, and it execs the
        // container's binary), but it must not be ptrace-able or /proc-openable by the container while it
        // still holds runtime fds; execve resets dumpability.
        plan.Prctl("PR_SET_DUMPABLE, 0", PrctlCalls.PR_SET_DUMPABLE, 0);
        // Right after the uid/gid maps are written, become the namespace's root. Until then the child
        // keeps the host's kuid 0, which the new namespace does not map: every file it creates (e.g.
        // /dev/pts in the container's /dev tmpfs) fails with EOVERFLOW, and mounts onto it with ENOENT.
        if (_newUserNs) BecomeNamespaceRoot(optional: false);
        Place(_in.StateDirFd, ChildFds.StateDir);
        Place(_in.ReadyWriteFd, ChildFds.Ready);
        Place(_in.ReleaseReadFd, ChildFds.Release);
        Place(_in.HookSyncWriteFd, ChildFds.HookSync);
        Place(_in.HookReleaseReadFd, ChildFds.HookRelease);
        Place(_in.ConsoleSocketFd, ChildFds.ConsoleSocket);
        Place(_in.HookOutputFd, ChildFds.HookOutput);
        _in.SeccompHandover?.PlaceIn(plan);
        // A caller that embeds the runtime may hand the container other streams than its own 0/1/2.
        if (_in.Stdio is { } io) _plan.Dup(io.Stdin, 0).Dup(io.Stdout, 1).Dup(io.Stderr, 2);
        var nsIndex = 0;
        var joins = _in.JoinFds.OrderBy(j => j.Key == "user" ? 0 : j.Key == "mount" ? 2 : 1).ToList();
        foreach (var (type, fd) in joins) Place(fd, ChildFds.NamespaceBase + nsIndex++);

        if (_in.ReleaseReadFd >= 0) plan.WaitByte("wait for the runtime to join cgroups", ChildFds.Release);
        nsIndex = 0;
        foreach (var (type, _) in joins)
        {
            plan.Setns(ChildFds.NamespaceBase + nsIndex++, CloneFlagOf(type), $"{type} namespace from linux.namespaces");
            if (type == "user") BecomeNamespaceRoot(optional: true); // as above; the joined namespace may not map 0
        }
        if (_newCgroupNs) plan.Unshare(CLONE_NEWCGROUP);
        if (HasNew("time"))
        {
            plan.Unshare(CLONE_NEWTIME);
            var offsets = string.Concat((_linux.TimeOffsets ?? []).Select(o => $"{o.Key} {o.Value.Secs} {o.Value.Nanosecs}\n"));
            if (offsets.Length > 0) plan.WriteFile("/proc/self/timens_offsets", offsets); // execve enters time_for_children
        }

        if (HasNew("mount")) SetupRootfs();
        else if (InheritsMountNamespace) SetupRootfsInRuntimeNamespace();
        if (!string.IsNullOrEmpty(_spec.Hostname)) plan.SetHostname(_spec.Hostname);
        if (!string.IsNullOrEmpty(_spec.Domainname)) plan.SetDomainname(_spec.Domainname);

        if (_in.HookSyncWriteFd >= 0)
        {
            plan.Write("hook sync", ChildFds.HookSync, "1"u8);
            plan.WaitByte("wait for prestart/createRuntime hooks", ChildFds.HookRelease);
        }
        // In the container's namespaces, mounts done, before pivot_root: the path resolves in the
        // runtime's view of the file system.
        AddHooks(_spec.Hooks?.CreateContainer, "createContainer", StateStore.CreatingStateName);

        // While /proc is still the host's: the attribute file of this very task, written at the end.
        AppArmor.OpenExecAttribute(plan, _spec.Process?.ApparmorProfile);
        if (HasNew("mount"))
        {
            EnterRootfs();
            AfterPivot();
        }
        else if (InheritsMountNamespace)
        {
            _plan.Chdir(_root).Chroot(".").Chdir("/");
            AfterPivot();
        }

        var process = _spec.Process!;
        if (!_in.NoNewKeyring) plan.JoinNewSessionKeyring();
        if (_linux.Personality is { } pers) plan.Personality(pers.Domain == "LINUX32" ? 0x0008UL : 0UL);
        if (_linux.MemoryPolicy is { } mp) AddMemoryPolicy(mp);
        ProcessSetup.AddLimits(plan, process, _in.Warnings);
        plan.ChdirInContainer(process.Cwd);
        if (process.Terminal && _in.ConsoleSocketFd >= 0)
        {
            plan.Setsid();
            plan.Ioctl("TIOCSCTTY", ChildFds.PtySlave, PlanSteps.TIOCSCTTY, 0);
            plan.Dup(ChildFds.PtySlave, 0).Dup(ChildFds.PtySlave, 1).Dup(ChildFds.PtySlave, 2).Close(ChildFds.PtySlave);
        }
        // Before seccomp: a profile may not know close_range (runtime-tools' default profile
        // doesn't), and an unknown syscall answers ENOSYS. Later steps only open O_CLOEXEC fds.
        plan.CloseOnExecFrom(3 + _in.PreserveFds);
        // Before any seccomp filter, which might not allow openat2.
        plan.RefuseMagicLinkExecutable(_in.Executable);
        if (!process.NoNewPrivileges) ProcessSetup.AddSeccomp(plan, _in.Seccomp);
        ProcessSetup.AddIdentity(plan, process, _in.Warnings);
        var lateSeccomp = ProcessSetup.AddEarlySeccompForListener(plan, process, _in.Seccomp);

        // Tell `create` we reached the fifo, then block until `start` opens it for reading.
        plan.Write("ready", ChildFds.Ready, "1"u8).Close(ChildFds.Ready);
        if (_in.StateDirFd >= 0)
        {
            // Blocks until `start` opens the fifo. From here on failures go to `start` over the fifo
            // (the creating runtime is gone), and EOF there means execve succeeded.
            plan.OpenAt(ChildFds.StateDir, StateStore.FifoName, FileCalls.O_WRONLY | FileCalls.O_CLOEXEC, ChildFds.Fifo);
            plan.ReportErrorsTo(ChildFds.Fifo);
            // After start, in the container (path resolved after pivot_root), before the user process.
            AddHooks(_spec.Hooks?.StartContainer, "startContainer", StateStore.CreatedStateName);
            plan.Write("exec fifo", ChildFds.Fifo, "0"u8).Close(ChildFds.Fifo).Close(ChildFds.StateDir).Close(ChildFds.HookOutput);
        }
        ProcessSetup.AddExec(plan, process, lateSeccomp, _in.Executable, _in.Env);
    }

    /// <summary>
    /// Hooks the init runs itself (fork, execve, wait, kill at the timeout): the state JSON the runtime
    /// wrote to <paramref name="stateFile"/> in the state directory on stdin, output to hooks.log.
    /// </summary>
    private void AddHooks(IReadOnlyList<HookSpec>? hooks, string phase, string stateFile)
    {
        if (hooks is not { Count: > 0 }) return;
        if (_in.StateDirFd < 0 || _in.HookOutputFd < 0) throw new InvalidOperationException($"{phase} hooks need the state directory and hooks.log");
        for (var i = 0; i < hooks.Count; i++)
        {
            var h = hooks[i];
            _plan.OpenAt(ChildFds.StateDir, stateFile, FileCalls.O_RDONLY | FileCalls.O_CLOEXEC, ChildFds.HookStdin);
            var timeout = h.Timeout is > 0 ? $", timeout {h.Timeout} s" : "";
            _plan.Run($"{phase} hook #{i} ({h.Path}{timeout})", h.Path, h.Args is { Count: > 0 } args ? args : [h.Path], h.Env ?? [],
                ChildFds.HookStdin, ChildFds.HookOutput, h.Timeout is > 0 ? h.Timeout.Value * 1000 : 0);
            _plan.Close(ChildFds.HookStdin);
        }
    }

    private void Place(int parentFd, int childFd)
    {
        if (parentFd >= 0) _plan.Dup(parentFd, childFd);
    }

    private static List<IdMapping> Map(List<IdMappingSpec>? maps) =>
        (maps ?? []).Select(m => new IdMapping(m.ContainerId, m.HostId, m.Size)).ToList();

    // ---- rootfs and mounts (before pivot_root; paths are host paths under _root) ----------------

    /// <summary>
    /// No mount namespace in linux.namespaces: the container shares the runtime's (spec: a namespace
    /// not listed is inherited). Its mounts then live in that namespace, on a private bind of the
    /// rootfs onto itself (nothing propagates to or from other mounts), which `delete` detaches;
    /// the process is chrooted, as pivot_root would move the shared namespace's root.
    /// </summary>
    public bool InheritsMountNamespace => !Has("mount");

    private void SetupRootfsInRuntimeNamespace()
    {
        _plan.Mount(_root, _root, null, MS_BIND | MS_REC);
        _plan.Mount(null, _root, null, MS_PRIVATE);
        AddMountsAndDevices();
    }

    private void SetupRootfs()
    {
        var plan = _plan;
        // Every copied mount becomes a slave of the host's: host mount events reach the container,
        // never the reverse. Nothing may stay shared here (pivot_root refuses a shared parent) or
        // unbindable (the rootfs bind below); linux.rootfsPropagation applies to the new root later.
        plan.Mount(null, "/", null, MS_SLAVE | MS_REC);
        plan.Mount(_root, _root, null, MS_BIND | MS_REC);
        AddMountsAndDevices();
    }

    private void AddMountsAndDevices()
    {
        var devIsBind = false;
        foreach (var m in _spec.Mounts ?? [])
        {
            if (m.Destination.TrimEnd('/') == "/dev" && MountOptions.Parse(m.Options).IsBind) devIsBind = true;
            AddMount(m);
        }
        if (!devIsBind) AddDevices();
        if (_spec.Process is { Terminal: true } && _in.ConsoleSocketFd >= 0) AddConsole();
    }

    private string HostTarget(string destination, bool isFile)
    {
        string? host;
        try { host = _in.Rootfs.Resolve(destination, isFile ? RootfsPaths.Create.File : RootfsPaths.Create.Directory); }
        catch (Linux.SyscallException e) when (e.Errno == Linux.Errnos.EROFS) { host = _in.Rootfs.Resolve(destination); }
        return host ?? _root + destination.TrimEnd('/'); // lives in a file system this plan mounts first (e.g. /dev/pts)
    }

    private void PrepareTarget(string target, bool isFile)
    {
        if (isFile)
        {
            _plan.MkdirAll(_root, Path.GetDirectoryName(target)!);
            _plan.CreateFile(target);
        }
        else _plan.MkdirAll(_root, target);
    }

    private void AddMount(MountSpec m)
    {
        var plan = _plan;
        var options = MountOptions.Parse(m.Options);
        var type = m.Type ?? "";
        var source = m.Source;
        if (options.IsBind && source is not null && !source.StartsWith('/')) source = Path.Combine(_in.Bundle, source);
        var isFile = options.IsBind && source is not null && File.Exists(source) && !Directory.Exists(source);
        if (options.IsBind && source is not null && !File.Exists(source) && !Directory.Exists(source))
            throw new OciException($"config.json: mounts: bind source \"{source}\" for \"{m.Destination}\" does not exist");
        var target = HostTarget(m.Destination, isFile);
        PrepareTarget(target, isFile);

        if (options.Idmap && !options.IsBind)
            throw new OciException($"config.json: mounts \"{m.Destination}\": idmap/ridmap is only supported for bind mounts");
        var flags = options.Flags & ~(MS_BIND | MS_REC | MS_REMOUNT);

        if (options.IsBind && options.Idmap)
        {
            IdmappedBindMount(m, options, source!, target);
        }
        else if (options.IsBind)
        {
            BindMount(source!, target, (options.Flags & MS_REC) != 0, options.RemountFlags, source!);
        }
        else if (type == "sysfs" && _inUserNs && !_newNetNs)
        {
            // sysfs can only be mounted by the owner of the network namespace: borrow the host's, as runc does.
            BindMount("/sys", target, true, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, "/sys");
        }
        else if (type is "cgroup" or "cgroup2")
        {
            AddCgroupMount(target, options, m.Options?.Contains("rw") == true);
        }
        else if (type == "tmpfs" && options.TmpCopyUp)
        {
            TmpfsWithCopyUp(m, options, target);
        }
        else
        {
            var data = options.DataString;
            if (type == "devpts" && _newUserNs && data is not null && !GidMapped(5))
                data = string.Join(",", options.Data.Where(d => !d.StartsWith("gid=", StringComparison.Ordinal))) is { Length: > 0 } s ? s : null;
            if (type == "tmpfs" && flags == 0 && data is null) flags = 0;
            plan.Mount(source ?? type, target, type.Length == 0 ? null : type, flags, data);
        }
        foreach (var p in options.Propagation) plan.Mount(null, target, null, p);
        if (options.RecursiveSet != 0 || options.RecursiveClear != 0)
            plan.MountSetattr(target, recursive: true, options.RecursiveSet, options.RecursiveClear);
    }

    /// <summary>
    /// tmpcopyup: the runtime makes the tmpfs detached (fsopen/fsmount), copies the image directory
    /// it will cover into it from its host view of the rootfs (owners, modes, links kept), and the
    /// init attaches it (move_mount); mount flags follow in a remount pass.
    /// </summary>
    private void TmpfsWithCopyUp(MountSpec m, MountOptions options, string target)
    {
        var field = $"config.json: mounts \"{m.Destination}\"";
        int tmpfs;
        try { tmpfs = MountApiCalls.NewDetachedMount("tmpfs", m.Source, options.Data, 0); }
        catch (Linux.SyscallException e) { throw new OciException($"{field}: {e.Message}", inner: e); }
        _in.ParentFds.Add(tmpfs);
        if (_in.Rootfs.IsDirectory(m.Destination) == true && _in.Rootfs.Resolve(m.Destination) is { } covered)
        {
            try
            {
                var root = $"/proc/self/fd/{tmpfs}";
                TreeCopy.Contents(covered, root);
                // The tmpfs's root takes the covered directory's owner and mode unless the options set them:
                // with a user namespace, a root owned by the runtime's root would show as nobody inside.
                TreeCopy.CopyAttributes(covered, root,
                    owner: !options.Data.Any(d => d.StartsWith("uid=", StringComparison.Ordinal) || d.StartsWith("gid=", StringComparison.Ordinal)),
                    mode: !options.Data.Any(d => d.StartsWith("mode=", StringComparison.Ordinal)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Linux.SyscallException)
            {
                throw new OciException($"{field}: tmpcopyup: {e.Message}", inner: e);
            }
        }
        _plan.MoveMount(tmpfs, target);
        if (options.RemountFlags != 0) _plan.Mount(null, target, null, MS_REMOUNT | MS_BIND | options.RemountFlags);
    }

    /// <summary>
    /// An id-mapped bind mount (runtime-spec 1.2): the runtime clones the source tree detached
    /// (open_tree), id-maps it with a user namespace carrying the mount's maps (MOUNT_ATTR_IDMAP;
    /// "ridmap": every mount of the tree), and the init attaches it (move_mount); flags follow in
    /// the usual remount pass. Without maps on the mount, the container's own user-namespace maps apply.
    /// </summary>
    private void IdmappedBindMount(MountSpec m, MountOptions options, string source, string target)
    {
        var field = $"config.json: mounts \"{m.Destination}\"";
        var uids = m.UidMappings is { Count: > 0 } ? Map(m.UidMappings) : _newUserNs ? Map(_linux.UidMappings) : [];
        var gids = m.GidMappings is { Count: > 0 } ? Map(m.GidMappings) : _newUserNs ? Map(_linux.GidMappings) : [];
        if (uids.Count == 0 || gids.Count == 0)
            throw new OciException($"{field}: idmap needs uidMappings and gidMappings on the mount (or a new user namespace to take them from)");
        var tree = MountApiCalls.OpenTree(source, recursive: (options.Flags & MS_REC) != 0);
        _in.ParentFds.Add(tree); // closed by the runtime once the init is spawned (it inherits the fd at clone)
        var userns = UserNamespaceFd.Create(new IdMappings(uids, gids));
        try
        {
            MountApiCalls.MountSetattr(tree, options.IdmapRecursive,
                new MountApiCalls.MountAttr { AttrSet = MountApiCalls.MOUNT_ATTR_IDMAP, UsernsFd = (ulong)userns }, $"\"{source}\"");
        }
        catch (Linux.SyscallException e) { throw new OciException($"{field}: cannot id-map \"{source}\": {e.Message}", inner: e); }
        finally { FileCalls.Close(userns); }
        _plan.MoveMount(tree, target);
        if (options.RemountFlags != 0) _plan.Mount(null, target, null, MS_REMOUNT | MS_BIND | options.RemountFlags | LockedFlags(source));
    }

    private void BecomeNamespaceRoot(bool optional)
    {
        if (!optional && (!GidMapped(0) || _linux.UidMappings?.Any(m => m.ContainerId == 0) != true)) return;
        _plan.Syscall("setresgid(0) in the user namespace", Sys.SYS_setresgid, 0, 0, 0, flags: optional ? SpawnStepFlags.Optional : 0);
        _plan.Syscall("setresuid(0) in the user namespace", Sys.SYS_setresuid, 0, 0, 0, flags: optional ? SpawnStepFlags.Optional : 0);
    }

    private bool GidMapped(uint gid) => _linux.GidMappings?.Any(m => gid >= m.ContainerId && gid - m.ContainerId < m.Size) == true;

    /// <summary>
    /// A bind mount, plus the MS_REMOUNT|MS_BIND pass that applies ro/nosuid/... (the first pass ignores them).
    /// The remount keeps the flags the kernel locks on the source mount (nodev, nosuid, noexec, atime)
    /// or, inside a user namespace, it fails with EPERM.
    /// </summary>
    private void BindMount(string source, string target, bool recursive, ulong remountFlags, string flagsFrom)
    {
        _plan.Mount(source, target, null, MS_BIND | (recursive ? MS_REC : 0));
        if (remountFlags == 0) return;
        _plan.Mount(null, target, null, MS_REMOUNT | MS_BIND | remountFlags | LockedFlags(flagsFrom));
    }

    private static ulong LockedFlags(string hostPath)
    {
        var st = OciCalls.MountFlags(hostPath);
        ulong flags = 0;
        if ((st & OciCalls.ST_NOSUID) != 0) flags |= MS_NOSUID;
        if ((st & OciCalls.ST_NODEV) != 0) flags |= MS_NODEV;
        if ((st & OciCalls.ST_NOEXEC) != 0) flags |= MS_NOEXEC;
        if ((st & OciCalls.ST_NOATIME) != 0) flags |= MS_NOATIME;
        if ((st & OciCalls.ST_NODIRATIME) != 0) flags |= MS_NODIRATIME;
        if ((st & OciCalls.ST_RELATIME) != 0) flags |= MS_RELATIME;
        return flags;
    }

    /// <summary>
    /// cgroup2: one mount. v1/hybrid: a tmpfs with one directory per hierarchy, like runc. With a new
    /// cgroup namespace (and no user namespace) each hierarchy is mounted fresh (it shows the
    /// namespace root = the container's cgroup); otherwise the container's own directories are
    /// bind-mounted. v1 hierarchies are read-only unless "rw" is given: a writable v1 root with
    /// release_agent is a known container escape.
    /// </summary>
    private void AddCgroupMount(string target, MountOptions options, bool explicitRw)
    {
        var layout = _in.CgroupLayout ?? CgroupLayout.Detect();
        var flags = options.Flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        var fresh = _newCgroupNs && !_inUserNs;
        string Dir(CgroupHierarchy h) => _in.CgroupDirectories?.GetValueOrDefault(h.Key) ?? h.CurrentDirectory;

        if (layout.Mode == CgroupLayoutMode.Unified)
        {
            if (fresh || _newCgroupNs) _plan.Mount("cgroup2", target, "cgroup2", flags);
            else BindMount(Dir(layout.Unified!), target, false, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, layout.Unified!.MountPoint);
            return;
        }
        _plan.Mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
        var v1Flags = explicitRw ? flags : flags | MS_RDONLY;
        foreach (var h in layout.Hierarchies)
        {
            var name = Path.GetFileName(h.MountPoint.TrimEnd('/'));
            if (name.Length == 0) continue;
            var sub = target + "/" + name;
            _plan.Mkdir(sub, optional: true);
            var hFlags = h.Version == 1 ? v1Flags : flags;
            if (fresh)
            {
                if (h.Version == 2) _plan.Mount("cgroup2", sub, "cgroup2", hFlags);
                else _plan.Mount("cgroup", sub, "cgroup", hFlags, h.Name is not null ? "none,name=" + h.Name : string.Join(",", h.Controllers));
            }
            else BindMount(Dir(h), sub, false, hFlags | MS_NOSUID | MS_NODEV | MS_NOEXEC, h.MountPoint);
        }
        // cpu,cpuacct style combined mounts get the usual per-controller symlinks.
        foreach (var h in layout.Legacy.Where(h => h.Controllers.Count > 1))
            foreach (var c in h.Controllers)
                _plan.Symlink(Path.GetFileName(h.MountPoint.TrimEnd('/')), target + "/" + c, optional: true);
        if (!explicitRw) _plan.Mount(null, target, null, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
    }

    /// <summary>Default devices + linux.devices: mknod, or (in a user namespace, where mknod is denied) bind-mounted from the host.</summary>
    private void AddDevices()
    {
        var devices = new Dictionary<string, DeviceSpec>();
        foreach (var (path, major, minor) in DefaultDevices)
            devices[path] = new DeviceSpec { Type = "c", Path = path, Major = major, Minor = minor, FileMode = 0x1b6 /* 0666 */, Uid = 0, Gid = 0 };
        foreach (var d in _linux.Devices ?? []) devices[d.Path] = d;

        var dev = HostTarget("/dev", false);
        // Every node is made relative to an fd of the rootfs, its directory looked up in the rootfs
        // (RESOLVE_IN_ROOT), and never chowned or chmodded through a path: a rootfs whose /dev/null,
        // or a directory above a device, is a symlink to a host file can't make the runtime change
        // that host file, and "/../../tmp/x" stays inside (as runc's securejoin keeps it).
        _plan.OpenTo(_root, FileCalls.O_PATH | FileCalls.O_DIRECTORY | FileCalls.O_CLOEXEC, 0, ChildFds.RootfsDir);
        _plan.Close(SpawnPlan.ScratchFd);
        _plan.Umask(0); // mknod honours the umask; the process's own umask is set before execve
        foreach (var d in devices.Values)
        {
            var parent = Path.GetDirectoryName(d.Path) ?? "/";
            var name = Path.GetFileName(d.Path);
            if (name is "" or "." or "..") throw new OciException($"config.json: linux.devices \"{d.Path}\": not a device path");
            _plan.MkdirAllInRoot(ChildFds.RootfsDir, parent);
            _plan.OpenDirInRoot(ChildFds.RootfsDir, parent, SpawnPlan.ScratchFd);
            if (_inUserNs)
            {
                if (!File.Exists(d.Path)) { _in.Warnings.Add($"config.json: linux.devices \"{d.Path}\": not present on the host to bind into the user namespace; skipped"); _plan.Close(SpawnPlan.ScratchFd); continue; }
                // A clone of the host's node, attached at NAME in the resolved directory (move_mount
                // does not follow a symlink there).
                _plan.Syscall($"create \"{d.Path}\"", Sys.SYS_openat, SpawnPlan.ScratchFd, _plan.Str(name),
                    FileCalls.O_CREAT | FileCalls.O_WRONLY | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC, 0x1a4,
                    flags: SpawnStepFlags.ResultToFd | SpawnStepFlags.Optional, targetFd: ChildFds.DeviceTree);
                _plan.Close(ChildFds.DeviceTree);
                _plan.Syscall($"open_tree(\"{d.Path}\")", Sys.SYS_open_tree, FileCalls.AT_FDCWD, _plan.Str(d.Path),
                    MountApiCalls.OPEN_TREE_CLONE | MountApiCalls.OPEN_TREE_CLOEXEC, flags: SpawnStepFlags.ResultToFd, targetFd: ChildFds.DeviceTree);
                _plan.Syscall($"bind \"{d.Path}\" into the rootfs", Sys.SYS_move_mount, ChildFds.DeviceTree, _plan.Str(""),
                    SpawnPlan.ScratchFd, _plan.Str(name), MountApiCalls.MOVE_MOUNT_F_EMPTY_PATH);
                _plan.Close(ChildFds.DeviceTree).Close(SpawnPlan.ScratchFd);
                continue;
            }
            var kind = d.Type switch { "b" => 0x6000, "p" => 0x1000, _ => 0x2000 };
            var mode = kind | (int)((d.FileMode ?? 0x1b6) & 0xfff);
            _plan.Syscall($"mknod(\"{d.Path}\", 0{Convert.ToString(mode, 8)})", Sys.SYS_mknodat, SpawnPlan.ScratchFd, _plan.Str(name), mode,
                (long)MakeDev((ulong)(d.Major ?? 0), (ulong)(d.Minor ?? 0)), flags: SpawnStepFlags.Optional);
            _plan.Syscall($"chown(\"{d.Path}\")", Sys.SYS_fchownat, SpawnPlan.ScratchFd, _plan.Str(name), (long)(d.Uid ?? 0), (long)(d.Gid ?? 0),
                FileCalls.AT_SYMLINK_NOFOLLOW, flags: SpawnStepFlags.Optional);
            _plan.Close(SpawnPlan.ScratchFd);
        }
        _plan.Close(ChildFds.RootfsDir);
        _plan.Symlink("/proc/self/fd", dev + "/fd", optional: true);
        _plan.Symlink("/proc/self/fd/0", dev + "/stdin", optional: true);
        _plan.Symlink("/proc/self/fd/1", dev + "/stdout", optional: true);
        _plan.Symlink("/proc/self/fd/2", dev + "/stderr", optional: true);
        if (File.Exists("/proc/kcore")) _plan.Symlink("/proc/kcore", dev + "/core", optional: true);
        if (_spec.Mounts?.Any(m => m.Destination.TrimEnd('/') == "/dev/pts" && m.Type == "devpts") == true)
            _plan.Symlink("pts/ptmx", dev + "/ptmx", optional: true);
    }

    private static ulong MakeDev(ulong major, ulong minor) =>
        ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xffUL) << 12) | ((major & ~0xfffUL) << 32);

    /// <summary>
    /// A pty from the container's devpts: unlock, open the peer (slave) by fd (TIOCGPTPEER, no path
    /// lookup), bind it over /dev/console, and send the master to the console socket.
    /// </summary>
    private void AddConsole()
    {
        var dev = _root + "/dev";
        _plan.OpenTo(dev + "/ptmx", FileCalls.O_RDWR | FileCalls.O_NOCTTY | FileCalls.O_CLOEXEC, 0, ChildFds.PtyMaster);
        _plan.IoctlInt("TIOCSPTLCK 0", ChildFds.PtyMaster, PlanSteps.TIOCSPTLCK, 0);
        _plan.Ioctl("TIOCGPTPEER", ChildFds.PtyMaster, PlanSteps.TIOCGPTPEER, FileCalls.O_RDWR | FileCalls.O_NOCTTY, resultTargetFd: ChildFds.PtySlave);
        if (_spec.Process!.ConsoleSize is { } size) _plan.SetWindowSize(ChildFds.PtySlave, size.Height, size.Width);
        _plan.CreateFile(dev + "/console");
        _plan.Mount($"/proc/self/fd/{ChildFds.PtySlave}", dev + "/console", null, MS_BIND);
        _plan.SendFd(ChildFds.ConsoleSocket, ChildFds.PtyMaster, "/dev/ptmx");
        _plan.Close(ChildFds.PtyMaster).Close(ChildFds.ConsoleSocket);
    }

    private void EnterRootfs()
    {
        _plan.Chdir(_root);
        if (_in.NoPivot)
        {
            _plan.Mount(_root, "/", null, MS_MOVE);
            _plan.Chroot(".");
        }
        else
        {
            // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves no
            // path to the host tree (no need for a put_old directory in the rootfs).
            _plan.PivotRoot(".", ".");
            _plan.Umount(".", MNT_DETACH);
        }
        _plan.Chdir("/");
        if (RootfsPropagationFlags() is { } propagation) _plan.Mount(null, "/", null, propagation);
    }

    /// <summary>linux.rootfsPropagation as mount flags for the container's root; null: keep the slave default.</summary>
    private ulong? RootfsPropagationFlags() => _linux.RootfsPropagation switch
    {
        "shared" => MS_SHARED, "rshared" => MS_SHARED | MS_REC, "private" => MS_PRIVATE, "rprivate" => MS_PRIVATE | MS_REC,
        "slave" => MS_SLAVE, "rslave" => MS_SLAVE | MS_REC, "unbindable" => MS_UNBINDABLE, "runbindable" => MS_UNBINDABLE | MS_REC,
        _ => null,
    };

    // ---- after pivot_root: container paths --------------------------------------------------------

    private void AfterPivot()
    {
        foreach (var (key, value) in _linux.Sysctl ?? [])
            _plan.WriteFile("/proc/sys/" + key.Replace('.', '/'), value);

        foreach (var path in _linux.MaskedPaths ?? [])
        {
            var isDir = IsDirectoryInContainer(path);
            if (isDir is null) continue;
            if (isDir.Value) _plan.Mount("tmpfs", path, "tmpfs", MS_RDONLY, optional: true);
            else _plan.Mount("/dev/null", path, null, MS_BIND, optional: true);
        }
        foreach (var path in _linux.ReadonlyPaths ?? [])
        {
            if (IsDirectoryInContainer(path) is null) continue;
            _plan.Mount(path, path, null, MS_BIND | MS_REC);
            var locked = IsKernelFs(path) ? MS_NOSUID | MS_NODEV | MS_NOEXEC : LockedFlags(_in.Rootfs.Resolve(path) ?? _root);
            _plan.Mount(null, path, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked);
        }
        if (_spec.Root!.Readonly)
            _plan.Mount(null, "/", null, MS_REMOUNT | MS_BIND | MS_RDONLY | LockedFlags(_root));
    }

    private static bool IsKernelFs(string path) => path.StartsWith("/proc/", StringComparison.Ordinal) || path.StartsWith("/sys/", StringComparison.Ordinal);

    /// <summary>/proc and /sys look the same inside as on the host; other paths are looked up in the rootfs. Null: absent.</summary>
    private bool? IsDirectoryInContainer(string path)
    {
        if (IsKernelFs(path))
        {
            // Mounted freshly in the container; the host's view tells the kind (lstat: do not follow).
            var info = new FileInfo(path);
            if (Directory.Exists(path)) return true;
            if (info.Exists || info.LinkTarget is not null) return false;
            return null;
        }
        try { return _in.Rootfs.IsDirectory(path); }
        catch (Linux.SyscallException) { return null; }
    }

    private void AddMemoryPolicy(MemoryPolicySpec mp)
    {
        var mode = MemoryPolicyModes.Number(mp.Mode);
        foreach (var f in mp.Flags ?? []) mode |= (int)MemoryPolicyModes.Flag(f);
        var nodes = new List<int>();
        foreach (var part in (mp.Nodes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-');
            var from = int.Parse(range[0]);
            var to = range.Length > 1 ? int.Parse(range[1]) : from;
            for (var n = from; n <= to; n++) nodes.Add(n);
        }
        var mask = new ulong[nodes.Count == 0 ? 0 : nodes.Max() / 64 + 1];
        foreach (var n in nodes) mask[n / 64] |= 1UL << (n % 64);
        _plan.SetMempolicy(mode, mask);
    }
}

using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Spec;

/// <summary>
/// The config `spec` writes: secure defaults — Docker's default capability set, runc's masked and
/// read-only paths, no_new_privs, the default seccomp profile, and a user namespace with --rootless.
/// </summary>
public static class DefaultSpec
{
    public static readonly string[] DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static readonly string[] MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/powercap",
    ];

    public static readonly string[] ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public static RuntimeSpec Create(bool rootless = false, string[]? args = null, bool terminal = false)
    {
        var spec = new RuntimeSpec
        {
            OciVersion = SpecVersion.Current,
            Process = new ProcessSpec
            {
                Terminal = terminal,
                User = new UserSpec { Uid = 0, Gid = 0 },
                Args = [.. args ?? ["sh"]],
                Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                Cwd = "/",
                Capabilities = new CapabilitiesSpec
                {
                    Bounding = [.. DefaultCapabilities], Effective = [.. DefaultCapabilities], Permitted = [.. DefaultCapabilities],
                },
                Rlimits = [new RlimitSpec { Type = "RLIMIT_NOFILE", Hard = 1024, Soft = 1024 }],
                NoNewPrivileges = true,
            },
            Root = new RootSpec { Path = "rootfs", Readonly = true },
            Hostname = "kapsel",
            Mounts =
            [
                new() { Destination = "/proc", Type = "proc", Source = "proc" },
                new() { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
                new() { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
                new() { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
                new() { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
                new() { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", "ro"] },
                new() { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["nosuid", "noexec", "nodev", "relatime", "ro"] },
            ],
            Linux = new LinuxSpec
            {
                Resources = new ResourcesSpec { Devices = [new DeviceCgroupSpec { Allow = false, Access = "rwm" }] },
                Namespaces = [new() { Type = "pid" }, new() { Type = "network" }, new() { Type = "ipc" }, new() { Type = "uts" }, new() { Type = "mount" }, new() { Type = "cgroup" }],
                MaskedPaths = [.. MaskedPaths],
                ReadonlyPaths = [.. ReadonlyPaths],
                Seccomp = DefaultSeccompProfile.Create(DefaultCapabilities),
            },
        };
        if (rootless)
        {
            spec.Linux.Namespaces.Add(new NamespaceSpec { Type = "user" });
            spec.Linux.UidMappings = [new IdMappingSpec { ContainerId = 0, HostId = Linux.Interop.ProcessCalls.GetEuid(), Size = 1 }];
            spec.Linux.GidMappings = [new IdMappingSpec { ContainerId = 0, HostId = Linux.Interop.ProcessCalls.GetEuid(), Size = 1 }];
            spec.Linux.Resources = null;
            spec.Mounts!.RemoveAll(m => m.Destination == "/sys/fs/cgroup");
            var sys = spec.Mounts.First(m => m.Destination == "/sys");
            sys.Type = "none"; sys.Source = "/sys"; sys.Options = ["rbind", "nosuid", "noexec", "nodev", "ro"];
            spec.Mounts.First(m => m.Destination == "/dev/pts").Options!.Remove("gid=5");
        }
        return spec;
    }
}

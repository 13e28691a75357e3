using Kapsel.Linux.Fs;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

/// <summary>Everything <see cref="InitPlanBuilder"/> needs besides the config: fds the runtime opened and decisions it took.</summary>
internal sealed class InitPlanInput
{
    public required RuntimeSpec Spec { get; init; }
    public required string Bundle { get; init; }
    public required RootfsPaths Rootfs { get; init; }
    public required string Executable { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public bool NoPivot { get; init; }
    public bool NoNewKeyring { get; init; }
    public int PreserveFds { get; init; }
    public int StateDirFd { get; init; } = -1;
    public int ReadyWriteFd { get; init; } = -1;
    public int ReleaseReadFd { get; init; } = -1;
    public int HookSyncWriteFd { get; init; } = -1;
    public int HookReleaseReadFd { get; init; } = -1;
    public int ConsoleSocketFd { get; init; } = -1;
    /// <summary>hooks.log, open for appending: where createContainer/startContainer hooks write.</summary>
    public int HookOutputFd { get; init; } = -1;
    public ContainerStdio? Stdio { get; init; }
    /// <summary>Namespaces to join by path: type → open fd in the runtime (pid is handled by the Spawner).</summary>
    public Dictionary<string, int> JoinFds { get; init; } = [];
    public int JoinPidFd { get; init; } = -1;
    public CompiledFilter? Seccomp { get; init; }
    /// <summary>Set when the filter has SCMP_ACT_NOTIFY rules: the sync with the runtime that hands the listener to the agent.</summary>
    public SeccompListenerHandover? SeccompHandover { get; init; }
    /// <summary>The container's cgroup directory per hierarchy key (for cgroup mounts without a cgroup namespace).</summary>
    public IReadOnlyDictionary<string, string>? CgroupDirectories { get; init; }
    public Linux.Cgroups.CgroupLayout? CgroupLayout { get; init; }
    public required List<string> Warnings { get; init; }
    /// <summary>Fds the builder opened for the init to inherit (detached mount trees): the runtime closes them after the spawn.</summary>
    public List<int> ParentFds { get; init; } = [];
}

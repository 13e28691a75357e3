namespace Kapsel.Linux.Cgroups;

/// <summary>
/// One cgroup (a directory in each mounted hierarchy), whatever the host's layout. Obtain it with
/// <see cref="Cgroup.Create(string, CgroupLayout?)"/> or <see cref="Cgroup.Open(string, CgroupLayout?)"/>.
/// </summary>
public interface ICgroup
{
    CgroupLayoutMode Mode { get; }

    /// <summary>The directory in each hierarchy, by <see cref="CgroupHierarchy.Key"/>. Store it to reopen later with <see cref="Cgroup.Open(IReadOnlyDictionary{string, string}, CgroupLayout?)"/>.</summary>
    IReadOnlyDictionary<string, string> Directories { get; }

    bool Exists { get; }

    /// <summary>Writes the limits. Returns warnings for what the host cannot do harmlessly (controller not mounted, v1-only knob on v2); throws <see cref="CgroupException"/> on a value the kernel rejects.</summary>
    IReadOnlyList<string> Apply(CgroupResources resources);

    /// <summary>Moves a process (all its threads) into the cgroup in every hierarchy.</summary>
    void AddProcess(int pid);

    /// <summary>An O_DIRECTORY fd of the cgroup2 directory for clone3(CLONE_INTO_CGROUP) — pure v2 only; -1 otherwise. The caller closes it.</summary>
    int OpenV2DirectoryFd();

    /// <summary>Freezes every process in the cgroup and waits until the kernel reports them frozen.</summary>
    void Freeze();

    void Thaw();

    CgroupFreezerState FreezerState { get; }

    /// <summary>All processes in the cgroup and its descendants.</summary>
    IReadOnlyList<int> Pids();

    /// <summary>Sends a signal to every process in the cgroup (recursively) without racing forks.</summary>
    void KillAll(int signal);

    CgroupStats Stats();

    /// <summary>
    /// Removes the cgroup, descendants first, retrying briefly while exiting processes leave it.
    /// With <paramref name="killProcesses"/> leftovers get SIGKILL first; without, a populated cgroup throws EBUSY.
    /// </summary>
    void Delete(bool killProcesses = false);
}

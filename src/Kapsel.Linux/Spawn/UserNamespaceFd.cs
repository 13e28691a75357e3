using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Spawn;

/// <summary>
/// An open fd of a new user namespace with given uid/gid maps: what MOUNT_ATTR_IDMAP takes to
/// id-map a mount. A .NET process cannot unshare(CLONE_NEWUSER) itself (it is multi-threaded),
/// so a child is spawned into one through the one spawn path (which writes the maps), parks in
/// pause(2) while its namespace is opened, and is killed: the fd alone keeps the namespace.
/// </summary>
public static class UserNamespaceFd
{
    private const long SYS_pause = 34;

    public static int Create(IdMappings maps)
    {
        using var plan = new SpawnPlan { CloneFlags = NamespaceCalls.CLONE_NEWUSER, UserNamespaceMappings = maps };
        plan.Syscall("pause()", SYS_pause);
        using var holder = Spawner.Spawn(plan);
        try { return FileCalls.Open($"/proc/{holder.Pid}/ns/user", FileCalls.O_RDONLY); }
        finally
        {
            holder.Signal(ProcessCalls.SIGKILL);
            holder.Wait();
        }
    }
}

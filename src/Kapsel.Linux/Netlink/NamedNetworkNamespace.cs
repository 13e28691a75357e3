using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// A persistent network namespace under /run/netns/NAME, compatible with `ip netns` (so
/// `ip netns exec NAME …` works on it). It lives as long as the bind mount, with no process in it.
///
/// A new namespace needs unshare/clone with CLONE_NEWNET, which must not happen on a runtime
/// thread (HOST.md): a spawned child is born in a new netns, bind-mounts its /proc/self/ns/net
/// onto the file and exits. The child shares our mount namespace, so the mount stays visible here.
/// </summary>
public sealed class NamedNetworkNamespace : IDisposable
{
    public const string RunDirectory = "/run/netns";
    private const long SYS_exit_group = 231;

    public string Name { get; }
    public string Path { get; }

    private NamedNetworkNamespace(string name) => (Name, Path) = (name, $"{RunDirectory}/{name}");

    public static NamedNetworkNamespace Create(string name)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or "..")
            throw new ArgumentException($"\"{name}\" is not a valid namespace name");
        var ns = new NamedNetworkNamespace(name);
        Directory.CreateDirectory(RunDirectory);
        using (new FileStream(ns.Path, FileMode.CreateNew, FileAccess.Write)) { } // fails if the name is taken
        try
        {
            using var plan = new SpawnPlan { CloneFlags = NamespaceCalls.CLONE_NEWNET };
            plan.Mount("/proc/self/ns/net", ns.Path, null, MountCalls.MS_BIND)
                .Syscall("exit_group(0)", SYS_exit_group, 0);
            using var child = Spawner.Spawn(plan);
            child.WaitForExec(); // the mount step's failure surfaces here
            var status = child.Wait();
            if (status.Code != 0) throw new InvalidOperationException($"creating netns \"{name}\": helper ended with {status}");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>An open fd for IFLA_NET_NS_FD or <see cref="RtNetlink.OpenInNamespace(int)"/>; the caller closes it.</summary>
    public int OpenFd() => FileCalls.Open(Path, FileCalls.O_RDONLY);

    /// <summary>Removes /run/netns/NAME (lazy unmount, then unlink), whether or not it was created by this process.</summary>
    public static void Delete(string name)
    {
        var path = $"{RunDirectory}/{name}";
        var errno = MountCalls.TryUmount(path, MountCalls.MNT_DETACH);
        if (errno is not (0 or Errnos.EINVAL or Errnos.ENOENT)) throw new SyscallException($"umount2(\"{path}\", MNT_DETACH)", errno);
        File.Delete(path);
    }

    public void Dispose() => Delete(Name);
}

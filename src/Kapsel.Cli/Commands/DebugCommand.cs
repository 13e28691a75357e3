using Kapsel.Linux.Spawn;
using static Kapsel.Linux.Interop.MountCalls;
using static Kapsel.Linux.Interop.NamespaceCalls;

namespace Kapsel.Cli.Commands;

/// <summary>
/// Developer tools. `kapsel debug spawn ROOTFS CMD...` runs the bare spawn path (new pid, mount,
/// uts, ipc and net namespaces, /proc, pivot_root, exec) with no state or images, so benchmarks
/// can compare it with `unshare ... chroot` (bench/spawn.sh).
/// </summary>
public static class DebugCommand
{
    public static readonly Command Definition = new(["debug"], "Developer tools (spawn path benchmark)", """
        Usage: kapsel debug spawn ROOTFS COMMAND [ARG...]

        Runs COMMAND in ROOTFS through Kapsel's bare spawn path: new pid, mount, uts, ipc and net
        namespaces, a fresh /proc, pivot_root, exec; waits and exits with the command's code.
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        if (argv.Length < 3 || argv[0] != "spawn") throw new UsageException("usage: kapsel debug spawn ROOTFS COMMAND [ARG...]");
        var rootfs = Path.GetFullPath(argv[1]);
        string[] command = argv[2..];
        using var plan = new SpawnPlan { CloneFlags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET };
        plan.Mount(null, "/", null, MS_REC | MS_PRIVATE)
            .Mount(rootfs, rootfs, null, MS_BIND | MS_REC)
            .Mount("proc", rootfs + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            .Chdir(rootfs).PivotRoot(".", ".").Umount(".", MNT_DETACH).Chdir("/")
            .CloseOnExecFrom(3)
            .Execve(command[0], command, ["PATH=/bin:/sbin:/usr/bin:/usr/sbin"]);
        using var child = Spawner.Spawn(plan);
        child.WaitForExec();
        return child.Wait().Code;
    }
}

namespace Kapsel.Oci.Runtime;

/// <summary>
/// Fixed fd numbers the spawn plans place their inherited fds on. They sit far above what a
/// short-lived runtime process opens, and every one of them is closed or marked close-on-exec
/// before execve (CVE-2024-21626: no host fd reaches the container process).
/// </summary>
internal static class ChildFds
{
    public const int StateDir = 1000;     // O_PATH fd of --root/<id>, to open exec.fifo after pivot_root
    public const int Ready = 1001;        // child → runtime: "reached the exec fifo"
    public const int HookSync = 1002;     // child → runtime: "namespaces and mounts ready, run createRuntime hooks"
    public const int HookRelease = 1003;  // runtime → child: "hooks done, continue"
    public const int ConsoleSocket = 1004;
    public const int PtyMaster = 1005;
    public const int PtySlave = 1006;
    public const int Fifo = 1007;
    public const int Release = 1008;      // runtime → child: "cgroups joined, continue"
    public const int HookOutput = 1009;   // hooks.log in the state dir: stdout+stderr of hooks run by the init
    public const int HookStdin = 1010;    // the state JSON a hook run by the init reads
    public const int SeccompSync = 1011;  // child → runtime: "seccomp listener fd ready to be taken"
    public const int SeccompRelease = 1012; // runtime → child: "taken (and handed to the agent), continue"
    public const int SeccompListener = 1014; // the listener fd seccomp returned (1013 is the plan's scratch fd)
    public const int AppArmorExec = 1015; // this task's attr/apparmor/exec, opened while /proc is the host's
    public const int RootfsDir = 1016;    // O_PATH fd of the rootfs: device nodes are made below it, never through a host path
    public const int DeviceTree = 1017;   // a detached clone of a host device node (user namespace: bind instead of mknod)
    public const int NamespaceBase = 1020; // + index for setns into joined namespaces
}

using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Spawn;

/// <summary>
/// The one way Kapsel creates processes in new namespaces: clone3 through the native trampoline,
/// then (for user namespaces) the uid/gid map handshake over a sync pipe.
/// </summary>
public static unsafe class Spawner
{
    // Pipes handed to a child must not leak into a sibling cloned at the same moment from another
    // thread (it would hold our error pipe open and hide the exec EOF): clones are serialised.
    private static readonly Lock CloneLock = new();
    private static bool _abiChecked;

    public static SpawnedProcess Spawn(SpawnPlan plan)
    {
        if (plan.JoinPidNamespaceFd >= 0) return SpawnInPidNamespace(plan);
        CheckAbi();
        var userNs = (plan.CloneFlags & NamespaceCalls.CLONE_NEWUSER) != 0;
        if (userNs && plan.UserNamespaceMappings is null)
            throw new ArgumentException("a user namespace needs uid/gid mappings");

        int pid, pidfd;
        int errorRead, syncWrite = -1;
        lock (CloneLock)
        {
            var (er, ew) = FileCalls.Pipe();
            errorRead = er;
            int syncRead = -1;
            if (userNs)
            {
                (syncRead, syncWrite) = FileCalls.Pipe();
                plan.InsertFirst("wait for uid/gid maps", Sys.SYS_read, syncRead, plan.Bytes(new byte[8]), 1,
                    SpawnStepFlags.FailIfZero | SpawnStepFlags.RepeatOnEintr);
                plan.ParentOnly(syncWrite);
            }
            foreach (var fd in plan.ParentOnlyFds)
                plan.InsertFirst($"close the parent's pipe end {fd}", Sys.SYS_close, fd, 0, 0, SpawnStepFlags.Optional);
            var native = plan.Build(ew);
            int childPidfd;
            pid = NativeSpawn.Spawn(native, &childPidfd);
            FileCalls.Close(ew);
            FileCalls.Close(syncRead);
            if (pid < 0)
            {
                FileCalls.Close(errorRead);
                FileCalls.Close(syncWrite);
                throw new SyscallException($"clone3(flags=0x{plan.CloneFlags:x})", -pid);
            }
            pidfd = childPidfd;
        }

        var child = new SpawnedProcess(pid, pidfd, errorRead, plan.Describe, plan.IsExecStep);
        if (userNs)
        {
            try
            {
                WriteIdMaps(pid, plan.UserNamespaceMappings!);
                FileCalls.WriteAll(syncWrite, "1"u8);
            }
            catch
            {
                FileCalls.Close(syncWrite); // child sees EOF and exits
                child.Wait();
                child.Dispose();
                throw;
            }
            FileCalls.Close(syncWrite);
        }
        return child;
    }

    /// <summary>
    /// Runs the spawn on a dedicated thread whose pid_ns_for_children is switched to the target
    /// namespace and back. The thread creates no threads meanwhile (HOST.md: a thread with a
    /// foreign pid_ns_for_children cannot), and it ends right after, so nothing else inherits it.
    /// </summary>
    private static SpawnedProcess SpawnInPidNamespace(SpawnPlan plan)
    {
        var target = plan.JoinPidNamespaceFd;
        SpawnedProcess? result = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            int own = -1;
            try
            {
                own = FileCalls.Open($"/proc/self/task/{Sys.Syscall(186 /* SYS_gettid */)}/ns/pid", FileCalls.O_RDONLY);
                NamespaceCalls.Setns(target, NamespaceCalls.CLONE_NEWPID);
                try
                {
                    plan.JoinPidNamespaceFd = -1;
                    result = Spawn(plan);
                }
                finally
                {
                    plan.JoinPidNamespaceFd = target;
                    NamespaceCalls.Setns(own, NamespaceCalls.CLONE_NEWPID);
                }
            }
            catch (Exception e) { error = e; }
            finally { FileCalls.Close(own); }
        }, 256 * 1024);
        thread.Start();
        thread.Join();
        if (error is not null) throw error;
        return result!;
    }

    private static void WriteIdMaps(int pid, IdMappings maps)
    {
        FileCalls.WriteFile($"/proc/{pid}/uid_map", IdMappings.Render(maps.Uids));
        if (maps.DenySetgroups) FileCalls.WriteFile($"/proc/{pid}/setgroups", "deny");
        FileCalls.WriteFile($"/proc/{pid}/gid_map", IdMappings.Render(maps.Gids));
    }

    private static void CheckAbi()
    {
        if (_abiChecked) return;
        var abi = NativeSpawn.Abi();
        if (abi != NativeSpawn.ExpectedAbi)
            throw new InvalidOperationException($"spawn trampoline ABI mismatch: native {abi}, managed {NativeSpawn.ExpectedAbi}");
        _abiChecked = true;
    }
}

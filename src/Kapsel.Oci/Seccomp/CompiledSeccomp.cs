namespace Kapsel.Oci.Seccomp;

/// <summary>
/// A profile compiled for this kernel: pass it to <c>SpawnPlan.Seccomp(Program, Flags, listenerTargetFd)</c>
/// as the child's last step before execve (after PR_SET_NO_NEW_PRIVS, or while it still has CAP_SYS_ADMIN).
/// When <see cref="NeedsListener"/> is set, Flags contains SECCOMP_FILTER_FLAG_NEW_LISTENER: the seccomp
/// call returns a notification fd that the runtime must place on listenerTargetFd and send to
/// linux.seccomp.listenerPath (with the container state and listenerMetadata).
/// </summary>
public sealed class CompiledSeccomp
{
    /// <summary>struct sock_filter[]: 8 bytes per instruction, host byte order.</summary>
    public required byte[] Program { get; init; }

    /// <summary>SECCOMP_FILTER_FLAG_* for seccomp(SECCOMP_SET_MODE_FILTER); never TSYNC.</summary>
    public required uint Flags { get; init; }

    public required bool NeedsListener { get; init; }

    /// <summary>Things ignored on the way, e.g. syscall names this build does not know.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    public int InstructionCount => Program.Length / BpfInstruction.Size;

    public override string ToString() => SeccompDisassembler.Disassemble(Program);
}

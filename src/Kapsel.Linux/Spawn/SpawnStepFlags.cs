namespace Kapsel.Linux.Spawn;

/// <summary>How the trampoline treats a step's result; keep in sync with KS_* in native/spawn.c.</summary>
[Flags]
public enum SpawnStepFlags : uint
{
    None = 0,
    /// <summary>Failure of this step is ignored.</summary>
    Optional = 0x01,
    /// <summary>The result is an fd: dup3 it onto the step's target fd and close the original.</summary>
    ResultToFd = 0x02,
    /// <summary>A result of 0 is a failure (EOF on a sync read: the parent went away).</summary>
    FailIfZero = 0x04,
    /// <summary>Retry while the call fails with EINTR.</summary>
    RepeatOnEintr = 0x08,
    /// <summary>Only the errno given as the step's target fd is a failure; other errors are ignored.</summary>
    FailOnlyOnErrno = 0x10,
    /// <summary>Retry (bounded) while the call fails with EAGAIN: openat2 RESOLVE_IN_ROOT/BENEATH lookups do when any mount raced them.</summary>
    RepeatOnEagain = 0x20,
}

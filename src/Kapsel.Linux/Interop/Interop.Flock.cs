using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kapsel.Linux.Interop;

/// <summary>flock(2): advisory whole-file locks that serialise work across kapsel processes.</summary>
public static partial class FlockCalls
{
    private const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4;

    [LibraryImport(Sys.Libc, EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);

    [LibraryImport(Sys.Libc, EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    public static void Exclusive(SafeFileHandle handle) => Lock(() => flock(handle, LOCK_EX), "flock(LOCK_EX)");

    public static void Exclusive(int fd) => Lock(() => flock(fd, LOCK_EX), $"flock({fd}, LOCK_EX)");

    public static void Shared(int fd) => Lock(() => flock(fd, LOCK_SH), $"flock({fd}, LOCK_SH)");

    /// <summary>Non-blocking exclusive lock; false if another process holds it.</summary>
    public static bool TryExclusive(int fd)
    {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Errnos.EAGAIN) return false;
        throw new SyscallException($"flock({fd}, LOCK_EX|LOCK_NB)", errno);
    }

    private static void Lock(Func<int> call, string what)
    {
        while (call() != 0)
            if (Marshal.GetLastPInvokeError() != Errnos.EINTR) throw SyscallException.FromLastError(what);
    }
}

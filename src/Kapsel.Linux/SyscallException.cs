using System.Runtime.InteropServices;

namespace Kapsel.Linux;

/// <summary>
/// A failed system call. The message names the call, its important arguments and the errno,
/// e.g. <c>mount("proc", "/c/proc", "proc", 0x0) failed: EPERM (Operation not permitted)</c>.
/// </summary>
public sealed class SyscallException : Exception
{
    public int Errno { get; }
    public string Call { get; }

    public SyscallException(string call, int errno)
        : base($"{call} failed: {Errnos.Describe(errno)}")
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>Throws for the errno of the last P/Invoke (SetLastPInvokeError must be on).</summary>
    public static SyscallException FromLastError(string call) => new(call, Marshal.GetLastPInvokeError());

    /// <summary>Checks a libc-style result: negative means failure with errno set.</summary>
    public static long Check(long result, string call)
    {
        if (result < 0) throw FromLastError(call);
        return result;
    }

    public static int Check(int result, string call)
    {
        if (result < 0) throw FromLastError(call);
        return result;
    }
}

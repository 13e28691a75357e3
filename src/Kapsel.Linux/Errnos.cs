using System.Runtime.InteropServices;

namespace Kapsel.Linux;

/// <summary>errno values we test for by name, and "ENAME (text)" descriptions for messages.</summary>
public static class Errnos
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, ECHILD = 10,
        EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, EXDEV = 18,
        ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25,
        ETXTBSY = 26, ENOSPC = 28, EROFS = 30, EPIPE = 32, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38,
        ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61, ENOEXEC = 8, EOPNOTSUPP = 95, EADDRINUSE = 98,
        ENOTSUP = 95, ETIMEDOUT = 110, EALREADY = 114;

    private static readonly Dictionary<int, string> Names = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO", [6] = "ENXIO",
        [7] = "E2BIG", [8] = "ENOEXEC", [9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM",
        [13] = "EACCES", [14] = "EFAULT", [16] = "EBUSY", [17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV",
        [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE", [25] = "ENOTTY",
        [26] = "ETXTBSY", [27] = "EFBIG", [28] = "ENOSPC", [29] = "ESPIPE", [30] = "EROFS", [31] = "EMLINK",
        [32] = "EPIPE", [34] = "ERANGE", [36] = "ENAMETOOLONG", [38] = "ENOSYS", [39] = "ENOTEMPTY",
        [40] = "ELOOP", [61] = "ENODATA", [75] = "EOVERFLOW", [95] = "EOPNOTSUPP", [97] = "EAFNOSUPPORT",
        [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [101] = "ENETUNREACH", [104] = "ECONNRESET",
        [110] = "ETIMEDOUT", [111] = "ECONNREFUSED", [114] = "EALREADY", [125] = "ECANCELED",
    };

    public static string Name(int errno) => Names.TryGetValue(errno, out var n) ? n : $"errno {errno}";

    public static string Describe(int errno) => $"{Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";
}

using System.Runtime.InteropServices;

namespace Kapsel.Linux.Interop;

/// <summary>File descriptor calls: open/openat2, read/write, pipe2, dup3, close, poll, ioctl.</summary>
public static unsafe partial class FileCalls
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000,
        O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    public const ulong RESOLVE_NO_XDEV = 1, RESOLVE_NO_MAGICLINKS = 2, RESOLVE_NO_SYMLINKS = 4,
        RESOLVE_BENEATH = 8, RESOLVE_IN_ROOT = 0x10;
    public const short POLLIN = 1, POLLHUP = 0x10, POLLERR = 8;

    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow { public ulong Flags, Mode, Resolve; }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events, Revents; }

    [LibraryImport(Sys.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport(Sys.Libc, EntryPoint = "read", SetLastError = true)]
    private static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Sys.Libc, EntryPoint = "write", SetLastError = true)]
    private static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Sys.Libc, EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport(Sys.Libc, EntryPoint = "pipe2", SetLastError = true)]
    private static partial int pipe2(int* fds, int flags);

    [LibraryImport(Sys.Libc, EntryPoint = "poll", SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport(Sys.Libc, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdirat(int dirFd, string name, int mode);

    [LibraryImport(Sys.Libc, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int openat(int dirFd, string name, int flags, int mode);

    [LibraryImport(Sys.Libc, EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint readlink(string path, byte* buf, nint size);

    /// <summary>mkdirat; returns the errno (0 on success) so callers can accept EEXIST.</summary>
    public static int MkdirAt(int dirFd, string name, int mode) => mkdirat(dirFd, name, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>openat (close-on-exec); returns the fd or -errno.</summary>
    public static int TryOpenAt(int dirFd, string name, int flags, int mode = 0)
    {
        var fd = openat(dirFd, name, flags | O_CLOEXEC, mode);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    public static string ReadLink(string path)
    {
        var buf = stackalloc byte[4096];
        var n = readlink(path, buf, 4096);
        if (n < 0) throw SyscallException.FromLastError($"readlink(\"{path}\")");
        return System.Text.Encoding.UTF8.GetString(buf, (int)n);
    }

    public static int Open(string path, int flags, int mode = 0) =>
        SyscallException.Check(open(path, flags | O_CLOEXEC, mode), $"open(\"{path}\", 0x{flags:x})");

    /// <summary>
    /// openat2 returning -errno instead of throwing (for lookups where "missing" is normal).
    /// RESOLVE_IN_ROOT/BENEATH lookups fail with EAGAIN when any mount or rename happened on the
    /// system during the walk (openat2(2)); that is retried, never reported as "missing".
    /// </summary>
    public static int TryOpenAt2(int dirFd, string path, int flags, ulong resolve, int mode = 0)
    {
        var how = new OpenHow { Flags = (ulong)(flags | O_CLOEXEC), Mode = (ulong)mode, Resolve = resolve };
        var bytes = Utf8.Z(path);
        fixed (byte* p = bytes)
        {
            for (var attempt = 0; ; attempt++)
            {
                var fd = Sys.Syscall(Sys.SYS_openat2, dirFd, (long)p, (long)&how, sizeof(OpenHow));
                if (fd >= 0) return (int)fd;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errnos.EAGAIN || attempt >= 100) return -errno;
            }
        }
    }

    /// <summary>openat2(2): resolves <paramref name="path"/> with the given RESOLVE_* rules relative to dirFd.</summary>
    public static int OpenAt2(int dirFd, string path, int flags, ulong resolve, int mode = 0)
    {
        var how = new OpenHow { Flags = (ulong)(flags | O_CLOEXEC), Mode = (ulong)mode, Resolve = resolve };
        var bytes = Utf8.Z(path);
        fixed (byte* p = bytes)
        {
            for (var attempt = 0; ; attempt++)
            {
                var fd = Sys.Syscall(Sys.SYS_openat2, dirFd, (long)p, (long)&how, sizeof(OpenHow));
                if (fd >= 0) return (int)fd;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errnos.EAGAIN || attempt >= 100) // see TryOpenAt2: EAGAIN means "retry"
                    throw new SyscallException($"openat2({dirFd}, \"{path}\", 0x{flags:x}, resolve=0x{resolve:x})", errno);
            }
        }
    }

    public static int Read(int fd, Span<byte> buffer)
    {
        while (true)
        {
            fixed (byte* p = buffer)
            {
                var n = read(fd, p, buffer.Length);
                if (n >= 0) return (int)n;
                if (Marshal.GetLastPInvokeError() != Errnos.EINTR) throw SyscallException.FromLastError($"read({fd})");
            }
        }
    }

    /// <summary>Reads until the buffer is full or EOF; returns the bytes read.</summary>
    public static int ReadFull(int fd, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = Read(fd, buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            fixed (byte* p = data)
            {
                var n = write(fd, p, data.Length);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Errnos.EINTR) continue;
                    throw SyscallException.FromLastError($"write({fd})");
                }
                data = data[(int)n..];
            }
        }
    }

    public static void Close(int fd)
    {
        if (fd >= 0) close(fd);
    }

    /// <summary>A close-on-exec pipe: (read end, write end).</summary>
    public static (int Read, int Write) Pipe(int extraFlags = 0)
    {
        int* fds = stackalloc int[2];
        SyscallException.Check(pipe2(fds, O_CLOEXEC | extraFlags), "pipe2");
        return (fds[0], fds[1]);
    }

    /// <summary>poll(2) with EINTR retried; returns the revents per fd.</summary>
    public static int Poll(Span<PollFd> fds, int timeoutMs)
    {
        while (true)
        {
            fixed (PollFd* p = fds)
            {
                var r = poll(p, (nuint)fds.Length, timeoutMs);
                if (r >= 0) return r;
                if (Marshal.GetLastPInvokeError() != Errnos.EINTR) throw SyscallException.FromLastError("poll");
            }
        }
    }

    public static void WriteFile(string path, string content)
    {
        var fd = Open(path, O_WRONLY);
        try { WriteAll(fd, System.Text.Encoding.UTF8.GetBytes(content)); }
        catch (SyscallException e) { throw new SyscallException($"write(\"{path}\", \"{content.Trim()}\")", e.Errno); }
        finally { Close(fd); }
    }
}

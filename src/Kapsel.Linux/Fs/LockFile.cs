using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Fs;

/// <summary>
/// A flock(2) lock on a file, held until disposed: how kapsel processes serialise work on one
/// store object (an image being built, a layer being unpacked, a blob being downloaded, an index
/// being rewritten, a container). Opened with open(2), never with FileStream: .NET's FileStream
/// takes a non-blocking flock of its own on open, so a second process found the lock "being used
/// by another process" instead of waiting for it.
/// </summary>
public sealed class LockFile : IDisposable
{
    private int _fd;

    private LockFile(int fd) => _fd = fd;

    /// <summary>Waits for the exclusive lock; <paramref name="waiting"/> is told first when another process holds it.</summary>
    public static LockFile Exclusive(string path, Action? waiting = null) => Take(path, fd =>
    {
        if (FlockCalls.TryExclusive(fd)) return;
        waiting?.Invoke();
        FlockCalls.Exclusive(fd);
    });

    /// <summary>Waits for a shared lock (many holders, none exclusive).</summary>
    public static LockFile Shared(string path) => Take(path, FlockCalls.Shared);

    private static LockFile Take(string path, Action<int> lockIt)
    {
        var fd = FileCalls.Open(path, FileCalls.O_RDWR | FileCalls.O_CREAT, 0x180); // 0600
        try { lockIt(fd); }
        catch { FileCalls.Close(fd); throw; }
        return new LockFile(fd);
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) FileCalls.Close(fd);
    }
}

using Kapsel.Linux.Interop;

namespace Kapsel.Images;

/// <summary>
/// Keeps `image prune` and work that adds content apart, across kapsel processes: pulls, loads,
/// imports and saves hold IMAGES/.gc.lock shared while their blobs are not yet reachable from a
/// tag; prune holds it exclusive, so it never deletes a blob another process is about to tag.
/// </summary>
public sealed class ImageGcLock : IDisposable
{
    private readonly FileStream _file;

    private ImageGcLock(FileStream file) => _file = file;

    private static FileStream Open(string imagesDir)
    {
        Directory.CreateDirectory(imagesDir);
        return new FileStream(Path.Combine(imagesDir, ".gc.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
    }

    public static ImageGcLock Shared(string imagesDir)
    {
        var f = Open(imagesDir);
        try { FlockCalls.Shared((int)f.SafeFileHandle.DangerousGetHandle()); }
        catch { f.Dispose(); throw; }
        return new ImageGcLock(f);
    }

    /// <summary>Exclusive; <paramref name="waiting"/> is told when another process holds the lock and this one waits.</summary>
    public static ImageGcLock Exclusive(string imagesDir, Action? waiting = null)
    {
        var f = Open(imagesDir);
        try
        {
            var fd = (int)f.SafeFileHandle.DangerousGetHandle();
            if (!FlockCalls.TryExclusive(fd))
            {
                waiting?.Invoke();
                FlockCalls.Exclusive(fd);
            }
        }
        catch { f.Dispose(); throw; }
        return new ImageGcLock(f);
    }

    public void Dispose() => _file.Dispose();
}

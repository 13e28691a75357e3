using Kapsel.Linux.Fs;

namespace Kapsel.Images;

/// <summary>
/// Keeps `image prune` and work that adds content apart, across kapsel processes: pulls, loads,
/// imports and saves hold IMAGES/.gc.lock shared while their blobs are not yet reachable from a
/// tag; prune holds it exclusive, so it never deletes a blob another process is about to tag.
/// </summary>
public sealed class ImageGcLock : IDisposable
{
    private readonly LockFile _lock;

    private ImageGcLock(LockFile held) => _lock = held;

    private static string PathIn(string imagesDir)
    {
        Directory.CreateDirectory(imagesDir);
        return Path.Combine(imagesDir, ".gc.lock");
    }

    public static ImageGcLock Shared(string imagesDir) => new(LockFile.Shared(PathIn(imagesDir)));

    /// <summary>Exclusive; <paramref name="waiting"/> is told when another process holds the lock and this one waits.</summary>
    public static ImageGcLock Exclusive(string imagesDir, Action? waiting = null) => new(LockFile.Exclusive(PathIn(imagesDir), waiting));

    public void Dispose() => _lock.Dispose();
}

using System.Security.Cryptography;
using System.Text.Json;
using Kapsel.Images.Builtin;

namespace Kapsel.Images;

/// <summary>
/// Images on this host, under ROOT/images/NAME/TAG/{rootfs/, image.json}. Built-in images
/// (busybox, debian:SUITE) are built on first use. Everything is built in a temp directory and
/// renamed into place, so a failed or interrupted build leaves nothing half-written.
/// </summary>
public sealed class ImageStore(string imagesDir)
{
    public string Directory { get; } = imagesDir;

    private string ImageDir(ImageReference r) => Path.Combine(Directory, r.Name.Replace('/', '_'), r.Tag);

    public LocalImage? Find(ImageReference reference)
    {
        var meta = Path.Combine(ImageDir(reference), "image.json");
        if (!File.Exists(meta)) return null;
        var image = JsonSerializer.Deserialize(File.ReadAllBytes(meta), ImageJsonContext.Default.LocalImage)!;
        image.RootfsPath = Path.Combine(ImageDir(reference), "rootfs");
        return image;
    }

    public List<LocalImage> List()
    {
        var result = new List<LocalImage>();
        if (!System.IO.Directory.Exists(Directory)) return result;
        foreach (var meta in System.IO.Directory.EnumerateFiles(Directory, "image.json", SearchOption.AllDirectories))
        {
            var image = JsonSerializer.Deserialize(File.ReadAllBytes(meta), ImageJsonContext.Default.LocalImage)!;
            image.RootfsPath = Path.Combine(Path.GetDirectoryName(meta)!, "rootfs");
            result.Add(image);
        }
        return result.OrderBy(i => i.Name).ThenBy(i => i.Tag).ToList();
    }

    /// <summary>The image if present; a built-in image is built now; anything else is an error.</summary>
    public LocalImage Resolve(ImageReference reference, Action<string>? progress = null)
    {
        if (Find(reference) is { } found) return found;
        var builder = BuiltinImages.For(reference)
            ?? throw new ImageException($"image \"{reference}\" not found locally and is not a built-in image (built-in: {BuiltinImages.Describe})");
        return Build(reference, builder, progress);
    }

    private LocalImage Build(ImageReference reference, IBuiltinImageBuilder builder, Action<string>? progress)
    {
        var dir = ImageDir(reference);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        // One builder per image at a time, also across concurrent kapsel processes.
        using var lockFile = new FileStream(dir + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        Kapsel.Linux.Interop.FlockCalls.Exclusive(lockFile.SafeFileHandle);
        if (Find(reference) is { } builtMeanwhile) return builtMeanwhile;

        var temp = dir + ".tmp-" + Environment.ProcessId;
        DeleteTree(temp);
        System.IO.Directory.CreateDirectory(temp);
        try
        {
            var rootfs = Path.Combine(temp, "rootfs");
            System.IO.Directory.CreateDirectory(rootfs);
            var source = builder.Build(rootfs, progress);
            var image = new LocalImage
            {
                Name = reference.Name, Tag = reference.Tag, Source = source, Created = DateTimeOffset.UtcNow,
                Size = DirectorySize(rootfs),
                Id = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{reference}|{source}|{DateTime.UtcNow:O}"))),
            };
            File.WriteAllBytes(Path.Combine(temp, "image.json"), JsonSerializer.SerializeToUtf8Bytes(image, ImageJsonContext.Default.LocalImage));
            System.IO.Directory.Move(temp, dir);
            image.RootfsPath = Path.Combine(dir, "rootfs");
            return image;
        }
        catch
        {
            DeleteTree(temp);
            throw;
        }
    }

    public void Remove(ImageReference reference)
    {
        var dir = ImageDir(reference);
        if (!System.IO.Directory.Exists(dir)) throw new ImageException($"image \"{reference}\" not found");
        var doomed = dir + ".rm-" + Environment.ProcessId;
        System.IO.Directory.Move(dir, doomed); // disappears atomically from listings
        DeleteTree(doomed);
    }

    private static long DirectorySize(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
            .Where(f => f.LinkTarget is null).Sum(f => f.Length);

    /// <summary>Deletes a tree without following symlinks (a rootfs has absolute links into "/").</summary>
    public static void DeleteTree(string path)
    {
        if (!System.IO.Directory.Exists(path) && !File.Exists(path)) return;
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null) { info.Delete(); return; }
        foreach (var entry in info.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            if (entry is DirectoryInfo d && d.LinkTarget is null) DeleteTree(d.FullName);
            else
            {
                if (entry.Attributes.HasFlag(FileAttributes.ReadOnly)) entry.Attributes &= ~FileAttributes.ReadOnly;
                entry.Delete();
            }
        }
        info.Delete();
    }
}

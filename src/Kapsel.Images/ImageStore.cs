using System.Security.Cryptography;
using System.Text.Json;
using Kapsel.Images.Builtin;
using Kapsel.Images.Layout;
using Kapsel.Images.References;
using Kapsel.Images.Registry;

namespace Kapsel.Images;

/// <summary>
/// Images on this host. Built-in images (busybox, debian:SUITE) live under
/// ROOT/images/NAME/TAG/{rootfs/, image.json} and are built on first use, in a temp directory
/// renamed into place, so a failed or interrupted build leaves nothing half-written. Images from
/// registries live in an OCI layout with shared unpacked layers (<see cref="OciImageSource"/>).
/// </summary>
public sealed class ImageStore(string imagesDir)
{
    public string Directory { get; } = imagesDir;

    public OciImageSource Oci { get; } = new(imagesDir);

    /// <summary>Registry settings for pulls (TLS, credentials); the CLI fills them from its flags.</summary>
    public RegistryOptions RegistryOptions { get; set; } = new();

    /// <summary>
    /// Resolves what a user typed: a built-in image name, else a registry reference (found in the
    /// local layout, or pulled when <paramref name="pull"/> allows).
    /// </summary>
    public LocalImage Resolve(string text, Action<string>? progress = null, bool pull = true, PlatformSpec? platform = null)
    {
        if (IsBuiltinName(text, out var builtin)) return Resolve(builtin, progress);
        var name = ImageName.Parse(text);
        if (Oci.Find(name, platform) is { } local) return local;
        if (!pull) throw new ImageException($"image \"{name.Familiar}\" not found locally");
        return Pull(name, progress, platform);
    }

    public LocalImage Pull(ImageName name, Action<string>? progress = null, PlatformSpec? platform = null)
    {
        var done = new Dictionary<string, (long Done, long Total)>();
        using var gc = ImageGcLock.Shared(Directory); // blobs fetched but not yet tagged are not prune's
        return Oci.Pull(name, RegistryOptions, platform, p =>
        {
            lock (done)
            {
                done[p.Digest] = (p.Done, p.Total);
                progress?.Invoke($"pulling {name.Familiar}: {done.Values.Sum(v => v.Done) / 1048576.0:0.0}/{done.Values.Sum(v => v.Total) / 1048576.0:0.0} MB ({done.Count} blobs)");
            }
        });
    }

    /// <summary>"busybox", "debian:bookworm": names Kapsel builds itself (no registry host, no digest).</summary>
    public static bool IsBuiltinName(string text, out ImageReference reference)
    {
        reference = default;
        if (text.Contains('@') || text.Split('/')[0].Contains('.') || text.Split('/')[0].Contains(':') && text.Contains('/')) return false;
        try { reference = ImageReference.Parse(text); }
        catch (ImageException) { return false; }
        return BuiltinImages.For(reference) is not null;
    }

    private string ImageDir(ImageReference r) => Path.Combine(Directory, r.Name.Replace('/', '_'), r.Tag);

    public LocalImage? Find(ImageReference reference)
    {
        var meta = Path.Combine(ImageDir(reference), "image.json");
        if (!File.Exists(meta)) return null;
        var image = JsonSerializer.Deserialize(File.ReadAllBytes(meta), ImageJsonContext.Default.LocalImage)!;
        image.RootfsPath = Path.Combine(ImageDir(reference), "rootfs");
        image.LowerDirs = [image.RootfsPath];
        image.Defaults = reference.Name == "debian" ? ImageDefaults.Shell with { Cmd = ["/bin/bash"] } : ImageDefaults.Shell;
        return image;
    }

    public List<LocalImage> List()
    {
        var result = new List<LocalImage>();
        if (!System.IO.Directory.Exists(Directory)) return result;
        result.AddRange(Oci.List());
        // Built-in images sit at NAME/TAG/image.json; the OCI layout and layer dirs are not scanned.
        var builtinMetas = System.IO.Directory.EnumerateDirectories(Directory)
            .Where(d => Path.GetFileName(d) is not ("oci" or "layers"))
            .SelectMany(System.IO.Directory.EnumerateDirectories)
            .Select(d => Path.Combine(d, "image.json")).Where(File.Exists);
        foreach (var meta in builtinMetas)
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
        using var lockFile = Kapsel.Linux.Fs.LockFile.Exclusive(dir + ".lock");
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
            return Find(reference)!;
        }
        catch
        {
            DeleteTree(temp);
            throw;
        }
    }

    /// <summary>Removes a built-in image, or untags a registry image (its blobs go with `image prune`).</summary>
    public void Remove(string text)
    {
        if (IsBuiltinName(text, out var builtin) && Find(builtin) is not null) { Remove(builtin); return; }
        var name = ImageName.Parse(text);
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "oci")) || !Oci.Layout.Untag(name.ToString()))
            throw new ImageException($"image \"{name.Familiar}\" not found");
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

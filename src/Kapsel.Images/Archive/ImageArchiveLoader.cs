using System.Text.Json;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images.Archive;

/// <summary>One image an archive brought: its name (null when the archive did not name it) and what it points at.</summary>
public sealed record LoadedImage(ImageName? Name, Descriptor Target);

/// <summary>
/// `image load`: a docker-archive or oci-archive (detected; optionally gzip/zstd-compressed),
/// from a file or a stream, into the store through an <see cref="ImageStaging"/> area, so a
/// corrupt or hostile archive leaves nothing behind.
/// </summary>
public static class ImageArchiveLoader
{
    /// <param name="path">The archive file, or null to read <paramref name="input"/>.</param>
    public static List<LoadedImage> Load(ImageStore store, string? path, Stream? input, Action<string>? progress = null)
    {
        var what = path ?? "stdin";
        if (path is not null && !File.Exists(path)) throw new ImageException($"{path}: no such file");
        using var staging = new ImageStaging(store);
        try
        {
            progress?.Invoke($"reading {what}");
            var tarPath = Spool(path, input, staging.Dir);
            var kind = ArchiveFormat.DetectFile(tarPath, what);
            if (kind == ArchiveKind.DockerArchive) DockerArchive.Read(tarPath, staging.Layout);
            else using (var f = File.OpenRead(tarPath)) OciArchive.Read(f, staging.Layout);

            var entries = new List<(Descriptor, ImageName?)>();
            foreach (var d in staging.Layout.Manifests)
            {
                progress?.Invoke($"unpacking {d.RefName ?? d.Digest.Short}");
                staging.Unpack(d);
                entries.Add((d, NameOf(d.RefName)));
            }
            if (entries.Count == 0) throw new ImageException($"{what}: the archive holds no image");
            staging.Commit(entries);
            return entries.Select(e => new LoadedImage(e.Item2, e.Item1)).ToList();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or JsonException
                                      or ArgumentException or InvalidOperationException)
        {
            throw new ImageException($"{what}: not a valid image archive ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>A ref name as a full image name ("busybox:1" → docker.io/library/busybox:1); a bare tag like "latest" is no name.</summary>
    private static ImageName? NameOf(string? refName)
    {
        if (refName is null || (!refName.Contains(':') && !refName.Contains('/'))) return null;
        return ImageName.TryParse(refName, out var name) ? name : null;
    }

    /// <summary>An uncompressed, seekable tar file: the given file itself, or a decompressed copy in the staging dir.</summary>
    private static string Spool(string? path, Stream? input, string stagingDir)
    {
        using var source = path is not null ? File.OpenRead(path) : input ?? throw new ArgumentNullException(nameof(input));
        var (stream, kind) = Decompression.Open(source, leaveOpen: true);
        if (path is not null && kind == Decompression.Kind.None) return path;
        var spooled = Path.Combine(stagingDir, "archive.tar");
        using (stream)
        using (var file = File.Create(spooled)) stream.CopyTo(file);
        return spooled;
    }
}

using Kapsel.Images.Archive;

namespace Kapsel.Images.Layout;

/// <summary>
/// `image export`: one image as a standalone OCI image layout directory (skopeo's `oci:DIR`),
/// written beside the destination and renamed into place, so a failure leaves no half layout.
/// </summary>
public static class LayoutExporter
{
    /// <param name="refName">index.json's org.opencontainers.image.ref.name (the tag, e.g. "latest").</param>
    /// <param name="fullName">Also recorded as io.containerd.image.name, which containerd and nerdctl read.</param>
    public static void Export(OciLayout source, Descriptor target, string refName, string? fullName, string dir)
    {
        dir = Path.GetFullPath(dir.TrimEnd('/'));
        if (File.Exists(dir)) throw new ImageException($"{dir} exists and is not a directory");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new ImageException($"{dir} exists and is not empty");
        var parent = Path.GetDirectoryName(dir)!;
        if (!Directory.Exists(parent)) throw new ImageException($"{parent}: no such directory");

        var temp = Path.Combine(parent, $".{Path.GetFileName(dir)}.tmp-{Environment.ProcessId}");
        ImageStore.DeleteTree(temp);
        try
        {
            var layout = OciLayout.Open(temp);
            foreach (var digest in OciArchive.Reachable(source, [target]))
                File.Copy(source.Blobs.BlobPath(digest), layout.Blobs.BlobPath(digest));
            var entry = target.With(refName: refName);
            if (fullName is not null) entry.Annotations!["io.containerd.image.name"] = fullName;
            layout.Tag(refName, entry);
            File.Delete(Path.Combine(temp, "index.json.lock"));
            if (Directory.Exists(dir)) Directory.Delete(dir);
            Directory.Move(temp, dir);
        }
        catch
        {
            ImageStore.DeleteTree(temp);
            throw;
        }
    }
}

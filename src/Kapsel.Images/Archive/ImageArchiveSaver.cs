using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images.Archive;

/// <summary>`image save`: images (tags, ids, built-ins) into a docker-archive or an oci-archive.</summary>
public static class ImageArchiveSaver
{
    public static void Save(IReadOnlyList<ImageTarget> targets, ArchiveKind kind, Stream output)
    {
        if (targets.Count == 0) throw new ImageException("no image to save");
        var layout = targets[0].Layout;
        if (kind == ArchiveKind.OciArchive)
        {
            var entries = targets.Select(t =>
            {
                var d = t.Descriptor.With(refName: t.Tagged || t.Builtin is not null ? t.Name.ToString() : null);
                if (!(t.Tagged || t.Builtin is not null)) d.Annotations?.Remove(Descriptor.RefNameAnnotation);
                return d;
            }).ToList();
            OciArchive.Write(layout, entries, output);
            return;
        }
        // docker-archive holds one platform's manifest per image; the same image named twice is written once with both tags.
        var images = new List<(Descriptor Manifest, List<ImageName> Tags)>();
        foreach (var t in targets)
        {
            var (manifest, _, _) = ImageTargets.PlatformManifest(layout, t.Descriptor);
            var existing = images.FindIndex(i => i.Manifest.DigestText == manifest.DigestText);
            if (existing < 0) images.Add((manifest, []));
            var tags = images[existing < 0 ? ^1 : existing].Tags;
            if ((t.Tagged || t.Builtin is not null) && !tags.Contains(t.Name)) tags.Add(t.Name);
        }
        DockerArchive.Write(layout, images.Select(i => (i.Manifest, (IReadOnlyList<ImageName>)i.Tags)).ToList(), output);
    }

    /// <summary>"docker-archive" (default, like docker) or "oci-archive"; podman's "oci"/"docker" spellings too.</summary>
    public static ArchiveKind ParseKind(string? text) => text switch
    {
        null or "docker-archive" or "docker" => ArchiveKind.DockerArchive,
        "oci-archive" or "oci" => ArchiveKind.OciArchive,
        _ => throw new ImageException($"unknown archive format \"{text}\" (docker-archive, oci-archive)"),
    };
}

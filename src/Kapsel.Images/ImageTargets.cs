using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images;

/// <summary>
/// A local image as a manifest (or index) in the store's OCI layout, whatever the user typed:
/// a tag, an image id (config digest, or a 12+ digit prefix), a manifest digest, or a built-in
/// name (converted to an OCI image on the fly, see <see cref="BuiltinImageExporter"/>).
/// </summary>
public sealed record ImageTarget(OciLayout Layout, Descriptor Descriptor, ImageName Name, bool Tagged, LocalImage? Builtin);

public static class ImageTargets
{
    /// <summary>The image, or ImageException "image "X" not found locally". Never pulls.</summary>
    public static ImageTarget Resolve(ImageStore store, string text, Action<string>? progress = null)
    {
        if (ImageStore.IsBuiltinName(text, out var builtin))
        {
            var image = store.Resolve(builtin, progress); // built on first use, no registry involved
            var desc = BuiltinImageExporter.ToOci(store.Oci.Layout, image, progress);
            return new ImageTarget(store.Oci.Layout, desc, ImageName.Parse(text), false, image);
        }
        return Find(store, text) ?? throw new ImageException($"image \"{text}\" not found locally");
    }

    /// <summary>A registry/loaded image in the layout, by name or id; null if absent.</summary>
    public static ImageTarget? Find(ImageStore store, string text)
    {
        if (!Directory.Exists(Path.Combine(store.Directory, "oci"))) return null;
        var layout = store.Oci.Layout;
        var entries = layout.Manifests;
        if (ImageName.TryParse(text, out var name) && name is not null
            && entries.LastOrDefault(d => d.RefName == name.ToString()) is { } tagged)
            return new ImageTarget(layout, tagged, name, true, null);

        var hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        if (hex.Length is < 12 or > 64 || !hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')) return null;
        var matches = entries.Where(d => d.Digest.Hex.StartsWith(hex, StringComparison.Ordinal) || ConfigDigest(layout, d)?.StartsWith(hex, StringComparison.Ordinal) == true)
            .GroupBy(d => d.DigestText).ToList();
        if (matches.Count > 1) throw new ImageException($"image id \"{text}\" is ambiguous ({matches.Count} images match)");
        if (matches.Count == 0) return null;
        var found = matches[0].FirstOrDefault(d => d.RefName is not null) ?? matches[0].First();
        var foundName = found.RefName is { } r && ImageName.TryParse(r, out var n) && n is not null
            ? n : ImageName.Parse("sha256-" + found.Digest.Short);
        return new ImageTarget(layout, found, foundName, found.RefName is not null, null);
    }

    /// <summary>Every tag in the layout that points at the same content as <paramref name="target"/>.</summary>
    public static List<ImageName> TagsOf(OciLayout layout, Descriptor target) =>
        layout.Manifests.Where(d => d.DigestText == target.DigestText && d.RefName is not null)
            .Select(d => ImageName.TryParse(d.RefName!, out var n) ? n : null).OfType<ImageName>().ToList();

    /// <summary>The platform manifest for this host (an index is resolved to linux/amd64).</summary>
    public static (Descriptor Descriptor, ImageManifest Manifest, ImageConfig Config) PlatformManifest(OciLayout layout, Descriptor target, PlatformSpec? platform = null)
    {
        var (desc, manifest) = layout.ResolveManifest(target, platform ?? PlatformSpec.Default);
        return (desc, manifest, layout.ReadConfig(manifest));
    }

    private static string? ConfigDigest(OciLayout layout, Descriptor d)
    {
        try
        {
            if (!MediaTypes.IsManifest(d.MediaType) || !layout.Blobs.Exists(d.Digest)) return null;
            return OciJson.ParseManifest(layout.Blobs.ReadAllBytes(d.Digest, d.Size)).Config.Digest.Hex;
        }
        catch (ImageException) { return null; }
    }
}

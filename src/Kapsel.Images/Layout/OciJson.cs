using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kapsel.Images.Layout;

/// <summary>Parse/serialize image documents with one-line errors that say which document was bad.</summary>
public static class OciJson
{
    private static readonly JsonSerializerOptions Indented = new(OciJsonContext.Default.Options) { WriteIndented = false };

    public static T Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new ImageException($"{what}: empty JSON document");
        }
        catch (JsonException e)
        {
            throw new ImageException($"{what}: invalid JSON ({e.Message.Split('\n')[0]})");
        }
    }

    public static ImageManifest ParseManifest(ReadOnlySpan<byte> json, string what = "manifest")
    {
        var m = Parse(json, OciJsonContext.Default.ImageManifest, what);
        if (m.SchemaVersion != 2) throw new ImageException($"{what}: schemaVersion {m.SchemaVersion} is not supported (only 2)");
        if (string.IsNullOrEmpty(m.Config.DigestText)) throw new ImageException($"{what}: has no config descriptor");
        return m;
    }

    public static ImageIndex ParseIndex(ReadOnlySpan<byte> json, string what = "index") =>
        Parse(json, OciJsonContext.Default.ImageIndex, what);

    public static ImageConfig ParseConfig(ReadOnlySpan<byte> json, string what = "image config") =>
        Parse(json, OciJsonContext.Default.ImageConfig, what);

    /// <summary>The media type of a manifest-ish document: its mediaType field, else guessed from its shape.</summary>
    public static string DetectMediaType(ReadOnlySpan<byte> json, string what = "manifest")
    {
        var probe = Parse(json, OciJsonContext.Default.MediaTypeProbe, what);
        if (!string.IsNullOrEmpty(probe.MediaType)) return probe.MediaType;
        if (probe.Manifests is not null) return MediaTypes.OciIndex;
        if (probe.Config is not null) return MediaTypes.OciManifest;
        throw new ImageException($"{what}: neither a manifest nor an index (schemaVersion {probe.SchemaVersion})");
    }

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);
}

using System.Text.Json.Serialization;
using Kapsel.Images.Content;

namespace Kapsel.Images.Layout;

/// <summary>An OCI content descriptor: what a blob is (media type), its digest and size.</summary>
public sealed class Descriptor
{
    [JsonPropertyName("mediaType")] public string MediaType { get; set; } = "";
    [JsonPropertyName("digest")] public string DigestText { get; set; } = "";
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("urls")] public List<string>? Urls { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    [JsonPropertyName("platform")] public Platform? Platform { get; set; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; set; }

    [JsonIgnore] public Digest Digest => Digest.Parse(DigestText);

    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    [JsonIgnore]
    public string? RefName => Annotations is { } a && a.TryGetValue(RefNameAnnotation, out var n) ? n : null;

    public static Descriptor For(string mediaType, Digest digest, long size) =>
        new() { MediaType = mediaType, DigestText = digest.ToString(), Size = size };

    public Descriptor With(string? refName = null, Platform? platform = null)
    {
        var copy = new Descriptor
        {
            MediaType = MediaType, DigestText = DigestText, Size = Size, Urls = Urls, ArtifactType = ArtifactType,
            Annotations = Annotations is null ? null : new Dictionary<string, string>(Annotations),
            Platform = platform ?? Platform,
        };
        if (refName is not null) (copy.Annotations ??= [])[RefNameAnnotation] = refName;
        return copy;
    }
}

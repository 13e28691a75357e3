using System.Text.Json.Serialization;

namespace Kapsel.Images;

/// <summary>An image available on this host: its reference, where its root filesystem is, and metadata.</summary>
public sealed class LocalImage
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("tag")] public string Tag { get; set; } = "";
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("source")] public string Source { get; set; } = "";
    [JsonPropertyName("created")] public DateTimeOffset Created { get; set; }
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("rootfs")] public string RootfsPath { get; set; } = "";

    [JsonIgnore] public ImageReference Reference => new(Name, Tag);
}

[JsonSerializable(typeof(LocalImage))]
[JsonSerializable(typeof(List<LocalImage>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
public sealed partial class ImageJsonContext : JsonSerializerContext;

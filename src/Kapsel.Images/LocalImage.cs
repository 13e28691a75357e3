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

    /// <summary>Overlay lower dirs, topmost first (a built-in image has just its rootfs).</summary>
    [JsonIgnore] public List<string> LowerDirs { get; set; } = [];

    /// <summary>What the image says to run and how (a built-in image: a shell).</summary>
    [JsonIgnore] public ImageDefaults Defaults { get; set; } = ImageDefaults.Shell;

    [JsonIgnore] public string DisplayName => $"{Name}:{Tag}";
}

[JsonSerializable(typeof(LocalImage))]
[JsonSerializable(typeof(List<LocalImage>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
public sealed partial class ImageJsonContext : JsonSerializerContext;

using System.Text.Json.Serialization;
using Kapsel.Images.Layout;

namespace Kapsel.Images;

/// <summary>What `image inspect` shows about one image.</summary>
public sealed class ImageDetails
{
    /// <summary>The config digest (docker's image id); a built-in image's own id.</summary>
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    /// <summary>What the tag points at (manifest or index digest); null for a built-in image not yet converted.</summary>
    [JsonPropertyName("digest")] public string? Digest { get; set; }
    [JsonPropertyName("repoTags")] public List<string> RepoTags { get; set; } = [];
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; set; }
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("platform")] public string Platform { get; set; } = "linux/amd64";
    [JsonPropertyName("source")] public string Source { get; set; } = "";
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("config")] public ContainerConfig Config { get; set; } = new();
    [JsonPropertyName("layers")] public List<LayerDetails> Layers { get; set; } = [];
    /// <summary>Built-in images: the rootfs directory.</summary>
    [JsonPropertyName("rootfs")] public string? Rootfs { get; set; }
}

public sealed class LayerDetails
{
    [JsonPropertyName("digest")] public string Digest { get; set; } = "";
    [JsonPropertyName("diffId")] public string DiffId { get; set; } = "";
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("mediaType")] public string MediaType { get; set; } = "";
}

/// <summary>One line of `image history`.</summary>
public sealed class HistoryLine
{
    [JsonPropertyName("id")] public string Id { get; set; } = "<missing>";
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; set; }
    [JsonPropertyName("createdBy")] public string CreatedBy { get; set; } = "";
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("comment")] public string Comment { get; set; } = "";
}

[JsonSerializable(typeof(List<ImageDetails>))]
[JsonSerializable(typeof(List<HistoryLine>))]
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class ImageDetailsJsonContext : JsonSerializerContext;

/// <summary>Builds <see cref="ImageDetails"/> and history from the store.</summary>
public static class ImageInspector
{
    public static ImageDetails Inspect(ImageStore store, string text)
    {
        if (ImageStore.IsBuiltinName(text, out var builtin) && store.Find(builtin) is { } image)
        {
            var d = image.Defaults;
            return new ImageDetails
            {
                Id = image.Id, RepoTags = [image.DisplayName], Created = image.Created, Size = image.Size,
                Source = image.Source, Rootfs = image.RootfsPath,
                Config = new ContainerConfig
                {
                    Env = [.. d.Env], Cmd = d.Cmd.Count > 0 ? [.. d.Cmd] : null,
                    Entrypoint = d.Entrypoint.Count > 0 ? [.. d.Entrypoint] : null, WorkingDir = d.WorkingDir, User = d.User,
                },
            };
        }
        var target = ImageTargets.Find(store, text) ?? throw new ImageException($"image \"{text}\" not found locally");
        var (_, manifest, config) = ImageTargets.PlatformManifest(target.Layout, target.Descriptor);
        return new ImageDetails
        {
            Id = manifest.Config.DigestText,
            Digest = target.Descriptor.DigestText,
            MediaType = target.Descriptor.MediaType,
            RepoTags = ImageTargets.TagsOf(target.Layout, target.Descriptor).Select(n => n.Familiar).ToList(),
            Created = config.Created,
            Size = manifest.Layers.Sum(l => l.Size),
            Platform = config.Variant is null ? $"{config.Os}/{config.Architecture}" : $"{config.Os}/{config.Architecture}/{config.Variant}",
            Source = target.Tagged ? $"registry {target.Name.Registry}" : "local",
            Config = config.Config ?? new ContainerConfig(),
            Layers = manifest.Layers.Select((l, i) => new LayerDetails
            {
                Digest = l.DigestText, Size = l.Size, MediaType = l.MediaType,
                DiffId = i < config.RootFs.DiffIds.Count ? config.RootFs.DiffIds[i] : "",
            }).ToList(),
        };
    }

    /// <summary>The config's history, newest first, each non-empty step with its layer's size.</summary>
    public static List<HistoryLine> History(ImageStore store, string text)
    {
        if (ImageStore.IsBuiltinName(text, out var builtin) && store.Find(builtin) is { } image)
            return [new HistoryLine { Id = image.Id[..12], Created = image.Created, CreatedBy = $"kapsel built-in image: {image.Source}", Size = image.Size }];
        var target = ImageTargets.Find(store, text) ?? throw new ImageException($"image \"{text}\" not found locally");
        var (_, manifest, config) = ImageTargets.PlatformManifest(target.Layout, target.Descriptor);
        var lines = new List<HistoryLine>();
        var layer = 0;
        foreach (var h in config.History ?? [])
        {
            var empty = h.EmptyLayer == true;
            lines.Add(new HistoryLine
            {
                Created = h.Created, CreatedBy = h.CreatedBy ?? "", Comment = h.Comment ?? "",
                Size = !empty && layer < manifest.Layers.Count ? manifest.Layers[layer].Size : 0,
            });
            if (!empty) layer++;
        }
        // Layers the history does not describe (images made without history).
        for (; layer < manifest.Layers.Count; layer++)
            lines.Add(new HistoryLine { Created = config.Created, Size = manifest.Layers[layer].Size });
        lines.Reverse();
        if (lines.Count > 0) lines[0].Id = manifest.Config.Digest.Short;
        return lines;
    }
}

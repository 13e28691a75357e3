using System.Text.Json.Serialization;

namespace Kapsel.Images.Layout;

/// <summary>Source-generated JSON for all image-spec documents (NativeAOT: no reflection).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(OciLayoutMarker))]
[JsonSerializable(typeof(MediaTypeProbe))]
[JsonSerializable(typeof(Descriptor))]
public sealed partial class OciJsonContext : JsonSerializerContext;

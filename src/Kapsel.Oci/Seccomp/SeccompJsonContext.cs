using System.Text.Json.Serialization;

namespace Kapsel.Oci.Seccomp;

/// <summary>Source-generated (NativeAOT-safe) JSON for a standalone seccomp profile file, e.g. a Docker-style profile.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(SeccompProfile))]
public sealed partial class SeccompJsonContext : JsonSerializerContext;

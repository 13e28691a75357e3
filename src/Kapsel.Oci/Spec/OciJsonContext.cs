using System.Text.Json.Serialization;
using Kapsel.Oci.Runtime;

namespace Kapsel.Oci.Spec;

/// <summary>Source-generated JSON metadata for every document the runtime reads or writes (NativeAOT: no reflection).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false,
    AllowTrailingCommas = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(RuntimeSpec))]
[JsonSerializable(typeof(ProcessSpec))]
[JsonSerializable(typeof(ResourcesSpec))]
[JsonSerializable(typeof(ContainerStateDocument))]
[JsonSerializable(typeof(ContainerProcessState))]
[JsonSerializable(typeof(List<ContainerListEntry>))]
[JsonSerializable(typeof(PersistedState))]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Features))]
[JsonSerializable(typeof(EventDocument))]
public sealed partial class OciJsonContext : JsonSerializerContext;

using System.Text.Json.Serialization;
using Kapsel.Engine.Instances;

namespace Kapsel.Engine;

[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(InstanceConfig))]
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class EngineJsonContext : JsonSerializerContext;

using System.Text.Json.Serialization;

namespace Kapsel.Engine;

[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class EngineJsonContext : JsonSerializerContext;

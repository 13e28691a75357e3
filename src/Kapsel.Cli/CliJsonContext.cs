using System.Text.Json.Serialization;
using Kapsel.Cli.Commands;

namespace Kapsel.Cli;

[JsonSerializable(typeof(List<InstanceJson>))]
[JsonSerializable(typeof(CompareReport))]
[JsonSourceGenerationOptions(WriteIndented = true)]
public sealed partial class CliJsonContext : JsonSerializerContext;

using System.Text.Json.Serialization;
using Kapsel.Cli.Commands;

namespace Kapsel.Cli;

[JsonSerializable(typeof(List<InstanceJson>))]
[JsonSerializable(typeof(CompareReport))]
[JsonSerializable(typeof(List<InstanceDetails>))]
[JsonSerializable(typeof(List<NetworkJson>))]
[JsonSerializable(typeof(List<VolumeJson>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
public sealed partial class CliJsonContext : JsonSerializerContext;

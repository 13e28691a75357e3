namespace Kapsel.Engine.Instances;

/// <summary>What `kapsel run` asks for, independent of the front end.</summary>
public sealed record RunRequest(
    InstanceLevel Level,
    string Image,
    IReadOnlyList<string> Command,
    string? Name = null,
    IReadOnlyList<string>? Env = null,
    string? WorkingDir = null,
    bool AutoRemove = false);

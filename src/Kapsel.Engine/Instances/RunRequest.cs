namespace Kapsel.Engine.Instances;

/// <summary>What `kapsel run` asks for, independent of the front end.</summary>
public sealed record RunRequest(
    InstanceLevel Level,
    string Image,
    IReadOnlyList<string> Command,
    string? Name = null,
    IReadOnlyList<string>? Env = null,
    string? WorkingDir = null,
    bool AutoRemove = false,
    // Build hooks (kapsel build's RUN): an image already resolved (an untagged build state),
    // and the user to run as (USER; else the image's User).
    Kapsel.Images.LocalImage? ResolvedImage = null,
    string? User = null);

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
    // and the user to run as (USER; else Config.User from -u; else the image's User).
    Kapsel.Images.LocalImage? ResolvedImage = null,
    string? User = null)
{
    /// <summary>Everything else `run` was asked for (network, ports, mounts, limits, user, ...).</summary>
    public InstanceConfig Config { get; init; } = new();

    /// <summary>--entrypoint: replaces the image's Entrypoint (an empty list clears it); null keeps it.</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }
}

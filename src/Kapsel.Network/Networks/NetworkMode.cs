namespace Kapsel.Network.Networks;

public enum NetworkModeKind
{
    /// <summary>A named Kapsel network (bridge + veth/tap); the default.</summary>
    Named,
    /// <summary>A new network namespace with only lo up.</summary>
    None,
    /// <summary>No new network namespace: the host's interfaces (what chroot always has).</summary>
    Host,
}

/// <summary>An instance's `--network` value: "none", "host", or a network name ("bridge"/empty = the default network).</summary>
public readonly record struct NetworkMode(NetworkModeKind Kind, string? NetworkName)
{
    public static NetworkMode None => new(NetworkModeKind.None, null);
    public static NetworkMode Host => new(NetworkModeKind.Host, null);

    public static NetworkMode Parse(string? text, string defaultNetwork) => text switch
    {
        null or "" or "bridge" or "default" => new(NetworkModeKind.Named, defaultNetwork),
        "none" => None,
        "host" => Host,
        _ => new(NetworkModeKind.Named, text),
    };

    /// <summary>Whether the instance needs its own network namespace.</summary>
    public bool NeedsNamespace => Kind != NetworkModeKind.Host;
}

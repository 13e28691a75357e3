namespace Kapsel.Images.Registry;

/// <summary>How to reach registries: TLS verification, extra CAs, credentials, parallelism.</summary>
public sealed record RegistryOptions
{
    /// <summary>false = accept any certificate (`--tls-verify=false`).</summary>
    public bool TlsVerify { get; init; } = true;

    /// <summary>PEM file with extra CA certificates trusted for registries (`--cert-bundle`).</summary>
    public string? CaBundle { get; init; }

    /// <summary>null = https, except loopback registries that don't speak TLS (docker's insecure default); true/false forces.</summary>
    public bool? PlainHttp { get; init; }

    /// <summary>Credentials file (docker config.json-like); null = none.</summary>
    public string? AuthFile { get; init; }

    /// <summary>Explicit credentials (`--creds user:pass`), taking precedence over the auth file.</summary>
    public (string User, string Password)? Credentials { get; init; }

    /// <summary>Blob transfers in flight at once.</summary>
    public int Parallelism { get; init; } = 3;

    /// <summary>Push blobs in PATCH chunks of this size; null = one monolithic PUT.</summary>
    public int? ChunkSize { get; init; }

    /// <summary>How long a TCP/TLS connection may take (KAPSEL_REGISTRY_CONNECT_TIMEOUT, seconds).</summary>
    public TimeSpan ConnectTimeout { get; init; } = FromEnvironment("KAPSEL_REGISTRY_CONNECT_TIMEOUT", 30);

    /// <summary>
    /// How long a registry may stay silent: until a response's headers, and between two reads of
    /// a body (KAPSEL_REGISTRY_IDLE_TIMEOUT, seconds). A large layer takes as long as it flows.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = FromEnvironment("KAPSEL_REGISTRY_IDLE_TIMEOUT", 60);

    private static TimeSpan FromEnvironment(string name, double seconds) =>
        TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : seconds);
}

/// <summary>Per-blob progress: bytes done of total for one layer (or config/manifest), for progress bars.</summary>
public readonly record struct TransferProgress(string Digest, long Done, long Total, TransferPhase Phase);

public enum TransferPhase { Waiting, Downloading, Uploading, Exists, Mounted, Done }

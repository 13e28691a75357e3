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

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>Per-blob progress: bytes done of total for one layer (or config/manifest), for progress bars.</summary>
public readonly record struct TransferProgress(string Digest, long Done, long Total, TransferPhase Phase);

public enum TransferPhase { Waiting, Downloading, Uploading, Exists, Mounted, Done }

namespace Kapsel.Images.Layers;

/// <summary>How a layer is written to disk.</summary>
public sealed record LayerUnpackOptions
{
    /// <summary>Create character/block device nodes (system containers as real root); skipped otherwise.</summary>
    public bool CreateDevices { get; init; }

    /// <summary>Apply the tar's uid/gid (needs root); when false files belong to the unpacking user.</summary>
    public bool ApplyOwners { get; init; } = Environment.UserName == "root";

    /// <summary>Apply PAX SCHILY.xattr.* attributes (trusted.overlay.* from a layer is always dropped).</summary>
    public bool ApplyXattrs { get; init; } = true;

    /// <summary>Turn .wh.NAME / .wh..wh..opq into overlayfs whiteouts (0/0 char devices, trusted.overlay.opaque=y).</summary>
    public bool OverlayWhiteouts { get; init; } = true;

    /// <summary>Bounds on the decompressed size of the layer (a bomb fails while streaming).</summary>
    public DecompressionLimits Decompression { get; init; } = DecompressionLimits.Default;
}

/// <summary>What an unpack did, for logs and tests.</summary>
public sealed record LayerUnpackResult(long Entries, long Bytes, long SkippedDevices, long Whiteouts, long OpaqueDirs);

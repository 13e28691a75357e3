namespace Kapsel.Linux.Cgroups;

/// <summary>Block I/O weights (v1 scale 10–1000) and per-device throttles.</summary>
public sealed record BlockIoResources
{
    public ushort? Weight { get; init; }

    /// <summary>v1 blkio.leaf_weight: gone from current kernels, ignored with a warning there.</summary>
    public ushort? LeafWeight { get; init; }

    public IReadOnlyList<BlockIoDeviceWeight>? WeightDevice { get; init; }
    public IReadOnlyList<BlockIoDeviceThrottle>? ThrottleReadBpsDevice { get; init; }
    public IReadOnlyList<BlockIoDeviceThrottle>? ThrottleWriteBpsDevice { get; init; }
    public IReadOnlyList<BlockIoDeviceThrottle>? ThrottleReadIopsDevice { get; init; }
    public IReadOnlyList<BlockIoDeviceThrottle>? ThrottleWriteIopsDevice { get; init; }
}

/// <summary>A weight for one block device (major:minor).</summary>
public sealed record BlockIoDeviceWeight(long Major, long Minor, ushort? Weight, ushort? LeafWeight = null);

/// <summary>A rate limit (bytes or operations per second) for one block device.</summary>
public sealed record BlockIoDeviceThrottle(long Major, long Minor, ulong Rate);

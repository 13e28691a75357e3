using System.Globalization;

namespace Kapsel.Images.Layers;

/// <summary>
/// Bounds on what one compressed layer or archive may expand into. Defaults are generous for real
/// images and stop bombs: at most <see cref="MaxBytes"/> (64 GiB, KAPSEL_DECOMPRESS_MAX_BYTES) and,
/// past the first <see cref="RatioFloorBytes"/> (1 GiB), at most <see cref="MaxRatio"/> (100,
/// KAPSEL_DECOMPRESS_MAX_RATIO) bytes out per compressed byte in. Real layers stay near 2–10:1;
/// a gzip of zeros reaches ~1000:1, zstd far more.
/// </summary>
public sealed record DecompressionLimits(long MaxBytes, double MaxRatio, long RatioFloorBytes)
{
    public static DecompressionLimits Default { get; } = new(
        FromEnvironment("KAPSEL_DECOMPRESS_MAX_BYTES", 64L << 30),
        FromEnvironment("KAPSEL_DECOMPRESS_MAX_RATIO", 100),
        1L << 30);

    private static long FromEnvironment(string name, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;

    private static double FromEnvironment(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
}

/// <summary>A decompressor's output, failing with an <see cref="ImageException"/> once it passes the limits.</summary>
internal sealed class BoundedDecompressionStream(Stream decompressor, Decompression.PrefixedStream compressed, DecompressionLimits limits) : Stream
{
    private long _produced;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = decompressor.Read(buffer);
        _produced += n;
        if (_produced > limits.MaxBytes)
            throw new ImageException($"decompressed data exceeds {limits.MaxBytes} bytes (KAPSEL_DECOMPRESS_MAX_BYTES): refusing a possible decompression bomb");
        if (_produced > limits.RatioFloorBytes && _produced > compressed.Consumed * limits.MaxRatio)
            throw new ImageException($"data expands more than {limits.MaxRatio}:1 ({_produced} bytes from {compressed.Consumed}; KAPSEL_DECOMPRESS_MAX_RATIO): refusing a possible decompression bomb");
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) decompressor.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

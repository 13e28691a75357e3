using System.IO.Compression;

namespace Kapsel.Images.Layers;

/// <summary>Wraps a layer stream in the right decompressor, detected from its magic bytes (not trusted from the media type).</summary>
public static class Decompression
{
    public enum Kind { None, Gzip, Zstd }

    /// <summary>
    /// Opens the decompressed view of <paramref name="source"/>, bounded by <paramref name="limits"/>
    /// (<see cref="DecompressionLimits.Default"/> unless given): a small archive that would expand
    /// into gigabytes (a "bomb") fails while streaming, before it fills the disk.
    /// </summary>
    public static (Stream Stream, Kind Kind) Open(Stream source, bool leaveOpen = false, DecompressionLimits? limits = null)
    {
        var head = new byte[4];
        var got = 0;
        while (got < 4)
        {
            var n = source.Read(head, got, 4 - got);
            if (n == 0) break;
            got += n;
        }
        var prefixed = new PrefixedStream(head.AsMemory(0, got), source, leaveOpen);
        limits ??= DecompressionLimits.Default;
        if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b)
            return (new BoundedDecompressionStream(new GZipStream(prefixed, CompressionMode.Decompress), prefixed, limits), Kind.Gzip);
        if (got == 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
            return (new BoundedDecompressionStream(new ZstdSharp.DecompressionStream(prefixed), prefixed, limits), Kind.Zstd);
        return (prefixed, Kind.None);
    }

    /// <summary>Bytes already read for sniffing, then the rest of the stream.</summary>
    internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest, bool leaveOpen) : Stream
    {
        /// <summary>Compressed bytes handed to the decompressor so far.</summary>
        public long Consumed { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (!prefix.IsEmpty)
            {
                var n = Math.Min(prefix.Length, buffer.Length);
                prefix.Span[..n].CopyTo(buffer);
                prefix = prefix[n..];
                Consumed += n;
                return n;
            }
            var got = rest.Read(buffer);
            Consumed += got;
            return got;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !leaveOpen) rest.Dispose();
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
}

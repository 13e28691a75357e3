using System.IO.Compression;

namespace Kapsel.Images.Layers;

/// <summary>Wraps a layer stream in the right decompressor, detected from its magic bytes (not trusted from the media type).</summary>
public static class Decompression
{
    public enum Kind { None, Gzip, Zstd }

    public static (Stream Stream, Kind Kind) Open(Stream source, bool leaveOpen = false)
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
        if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b)
            return (new GZipStream(prefixed, CompressionMode.Decompress), Kind.Gzip);
        if (got == 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
            return (new ZstdSharp.DecompressionStream(prefixed), Kind.Zstd);
        return (prefixed, Kind.None);
    }

    /// <summary>Bytes already read for sniffing, then the rest of the stream.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest, bool leaveOpen) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (!prefix.IsEmpty)
            {
                var n = Math.Min(prefix.Length, buffer.Length);
                prefix.Span[..n].CopyTo(buffer);
                prefix = prefix[n..];
                return n;
            }
            return rest.Read(buffer);
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

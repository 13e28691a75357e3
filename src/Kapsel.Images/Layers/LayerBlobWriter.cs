using System.IO.Compression;
using System.Security.Cryptography;
using Kapsel.Images.Content;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Layers;

/// <summary>A layer blob just written: its descriptor (gzip digest and size) and diff_id (uncompressed digest).</summary>
public sealed record LayerBlob(Descriptor Descriptor, Digest DiffId, long UncompressedSize);

/// <summary>
/// Streams a layer tar into a content store in one pass: the tar is hashed (diff_id) on its way
/// into gzip, the gzip output is hashed and counted (blob digest, size) on its way into a temp
/// file, which is renamed to its digest only when complete. Nothing is buffered in memory.
/// </summary>
public static class LayerBlobWriter
{
    public static LayerBlob Write(ContentStore store, Action<TarStreamWriter> produce, CompressionLevel level = CompressionLevel.Fastest)
    {
        var temp = store.TempPath();
        try
        {
            Digest diffId, digest;
            long size, uncompressed;
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var blobHash = new HashingStream(file);
                var tarHash = new HashingStream(new GZipStream(blobHash, level, leaveOpen: true));
                var tar = new TarStreamWriter(new BufferedStream(tarHash, 1 << 16));
                produce(tar);
                tar.Finish();
                tarHash.Inner.Dispose(); // flush the gzip trailer into blobHash
                diffId = tarHash.Result();
                uncompressed = tarHash.Length;
                digest = blobHash.Result();
                size = blobHash.Length;
                if (store.Durable) file.Flush(flushToDisk: true);
            }
            if (!store.Exists(digest)) File.Move(temp, store.BlobPath(digest), overwrite: true);
            return new LayerBlob(Descriptor.For(MediaTypes.OciLayerGzip, digest, size), diffId, uncompressed);
        }
        finally { File.Delete(temp); }
    }

    /// <summary>A layer of a whole directory (a built-in image's rootfs, or an overlay upper dir).</summary>
    public static LayerBlob WriteDirectory(ContentStore store, string directory, LayerSource source, IReadOnlySet<string>? exclude = null) =>
        Write(store, tar => LayerDiffWriter.WriteEntries(tar, directory, source, exclude: exclude));

    /// <summary>Write-through stream that hashes and counts what passes.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public Stream Inner => inner;
        public override long Length => _length;
        private long _length;

        public Digest Result() => Digest.FromHash(_hash.GetHashAndReset());

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            _length += buffer.Length;
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

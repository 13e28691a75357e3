using System.Security.Cryptography;

namespace Kapsel.Images.Content;

/// <summary>
/// Content-addressed blobs under ROOT/blobs/sha256/&lt;hex&gt; (the OCI image layout's blob
/// directory, so a store is also a layout). Every write is hashed while it streams into a
/// temp file in the same directory and renamed into place only when digest and size match;
/// rename is atomic, so concurrent writers of one blob are safe and readers never see a
/// partial blob. Reads are verified too. Interrupted downloads stay in ROOT/ingest/ and resume.
/// </summary>
public sealed class ContentStore
{
    public string Root { get; }
    public string BlobsDir { get; }
    public string IngestDir { get; }

    /// <summary>fsync blobs before the rename (durable across power loss; slower).</summary>
    public bool Durable { get; init; }

    public ContentStore(string root)
    {
        Root = Path.GetFullPath(root);
        BlobsDir = Path.Combine(Root, "blobs", Digest.Algorithm);
        IngestDir = Path.Combine(Root, "ingest");
        Directory.CreateDirectory(BlobsDir);
    }

    public string BlobPath(Digest digest) => Path.Combine(BlobsDir, digest.Hex);

    public bool Exists(Digest digest) => File.Exists(BlobPath(digest));

    public long? SizeOf(Digest digest)
    {
        var info = new FileInfo(BlobPath(digest));
        return info.Exists ? info.Length : null;
    }

    /// <summary>Opens a blob for reading; the stream throws at EOF if the content does not match its digest.</summary>
    public Stream OpenRead(Digest digest, long expectedSize = -1)
    {
        FileStream file;
        try { file = new FileStream(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (FileNotFoundException) { throw new ImageException($"blob {digest} is not in the store {Root}"); }
        return new VerifyingReadStream(file, digest, expectedSize, $"blob {digest}");
    }

    public byte[] ReadAllBytes(Digest digest, long expectedSize = -1)
    {
        using var stream = OpenRead(digest, expectedSize);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Stores small content (manifests, configs) and returns its digest.</summary>
    public Digest Put(ReadOnlySpan<byte> data)
    {
        var digest = Digest.Of(data);
        if (Exists(digest)) return digest;
        var temp = TempPath();
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(data);
                if (Durable) file.Flush(flushToDisk: true);
            }
            File.Move(temp, BlobPath(digest), overwrite: true);
        }
        finally { File.Delete(temp); }
        return digest;
    }

    /// <summary>
    /// Streams content into the store, hashing as it goes. With <paramref name="expected"/> the
    /// content must match it (and <paramref name="expectedSize"/> when not -1), else nothing is stored.
    /// </summary>
    public async Task<Digest> PutAsync(Stream source, Digest? expected = null, long expectedSize = -1, CancellationToken ct = default)
    {
        if (expected is { } e && Exists(e))
        {
            // Already here: the source is not needed (callers that own it dispose it).
            return e;
        }
        var temp = TempPath();
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false))
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    size += n;
                    if (expectedSize >= 0 && size > expectedSize)
                        throw new ImageException($"blob {expected?.ToString() ?? "(new)"}: more than the expected {expectedSize} bytes");
                    file.Write(buffer, 0, n);
                }
                if (Durable) file.Flush(flushToDisk: true);
            }
            var actual = Digest.FromHash(hash.GetHashAndReset());
            if (expectedSize >= 0 && size != expectedSize)
                throw new ImageException($"blob {expected?.ToString() ?? actual.ToString()}: size {size} bytes, expected {expectedSize}");
            if (expected is { } want && want != actual)
                throw new ImageException($"blob digest mismatch: got {actual}, expected {want}");
            File.Move(temp, BlobPath(actual), overwrite: true);
            return actual;
        }
        finally { File.Delete(temp); }
    }

    public Digest Put(Stream source, Digest? expected = null, long expectedSize = -1) =>
        PutAsync(source, expected, expectedSize).GetAwaiter().GetResult();

    /// <summary>
    /// Starts (or resumes) an ingest of a blob being downloaded. Holds an exclusive lock on the
    /// ingest until disposed, so two pulls of one blob never append to the same partial file.
    /// </summary>
    public BlobIngest BeginIngest(Digest expected, long expectedSize) => new(this, expected, expectedSize);

    public IEnumerable<Digest> List()
    {
        foreach (var path in Directory.EnumerateFiles(BlobsDir))
            if (Digest.TryParse("sha256:" + Path.GetFileName(path), out var d)) yield return d;
    }

    public bool Delete(Digest digest)
    {
        var path = BlobPath(digest);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        return true;
    }

    /// <summary>Re-hashes a stored blob; false when it is missing or corrupted.</summary>
    public bool Verify(Digest digest)
    {
        if (!Exists(digest)) return false;
        using var file = File.OpenRead(BlobPath(digest));
        return Digest.Of(file) == digest;
    }

    internal string TempPath() => Path.Combine(BlobsDir, $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
}

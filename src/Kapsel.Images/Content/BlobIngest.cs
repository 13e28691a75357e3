using Kapsel.Linux.Fs;
using System.Security.Cryptography;
using Kapsel.Linux.Interop;

namespace Kapsel.Images.Content;

/// <summary>
/// A resumable blob download: bytes are appended to ROOT/ingest/&lt;hex&gt;.partial, whose length
/// tells the next attempt where to continue (an HTTP Range request). <see cref="Commit"/>
/// verifies the whole blob and renames it into blobs/. An flock on ingest/&lt;hex&gt;.lock keeps
/// concurrent pulls of the same blob (threads or processes) from interleaving.
/// </summary>
public sealed class BlobIngest : IDisposable
{
    private readonly ContentStore _store;
    private readonly LockFile _lock;
    private readonly string _partial;
    private FileStream? _file;
    private IncrementalHash? _hash;

    public Digest Digest { get; }
    public long ExpectedSize { get; }

    /// <summary>Bytes already present (where a download resumes).</summary>
    public long Offset { get; private set; }

    /// <summary>True when the blob was already in the store (nothing to download).</summary>
    public bool AlreadyExists => _store.Exists(Digest);

    internal BlobIngest(ContentStore store, Digest digest, long expectedSize)
    {
        _store = store;
        Digest = digest;
        ExpectedSize = expectedSize;
        Directory.CreateDirectory(store.IngestDir);
        _partial = Path.Combine(store.IngestDir, digest.Hex + ".partial");
        _lock = LockFile.Exclusive(Path.Combine(store.IngestDir, digest.Hex + ".lock"));
        var info = new FileInfo(_partial);
        Offset = info.Exists ? info.Length : 0;
        if (expectedSize >= 0 && Offset > expectedSize) Restart();
    }

    /// <summary>Throws away what was downloaded so far (e.g. the server ignored the Range request).</summary>
    public void Restart()
    {
        _file?.Dispose();
        _file = null;
        _hash?.Dispose();
        _hash = null;
        File.Delete(_partial);
        Offset = 0;
    }

    /// <summary>Appends downloaded bytes (the hash of the existing prefix is rebuilt once, lazily).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        EnsureOpen();
        if (ExpectedSize >= 0 && Offset + data.Length > ExpectedSize)
            throw new ImageException($"blob {Digest}: more than the expected {ExpectedSize} bytes");
        _file!.Write(data);
        _hash!.AppendData(data);
        Offset += data.Length;
    }

    public async Task CopyFromAsync(Stream source, Action<long>? progress = null, CancellationToken ct = default)
    {
        EnsureOpen();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            Append(buffer.AsSpan(0, n));
            progress?.Invoke(Offset);
        }
        _file!.Flush();
    }

    private void EnsureOpen()
    {
        if (_file is not null) return;
        _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _file = new FileStream(_partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        // The hash state of an earlier attempt is gone: hash the prefix again (local disk, cheap).
        var buffer = new byte[1 << 16];
        long done = 0;
        int n;
        while (done < Offset && (n = _file.Read(buffer, 0, (int)Math.Min(buffer.Length, Offset - done))) > 0)
        {
            _hash.AppendData(buffer, 0, n);
            done += n;
        }
        _file.SetLength(done);
        Offset = done;
        _file.Position = done;
    }

    /// <summary>Verifies size and digest and moves the blob into the store; a bad blob is deleted.</summary>
    public Digest Commit()
    {
        if (_store.Exists(Digest)) { Restart(); return Digest; }
        EnsureOpen();
        if (_store.Durable) _file!.Flush(flushToDisk: true);
        _file!.Dispose();
        _file = null;
        var actual = Digest.FromHash(_hash!.GetHashAndReset());
        if (ExpectedSize >= 0 && Offset != ExpectedSize)
        {
            var got = Offset;
            if (got > ExpectedSize) Restart();
            throw new ImageException($"blob {Digest}: got {got} bytes, expected {ExpectedSize}");
        }
        if (actual != Digest)
        {
            Restart();
            throw new ImageException($"blob digest mismatch: got {actual}, expected {Digest}");
        }
        File.Move(_partial, _store.BlobPath(Digest), overwrite: true);
        Offset = 0;
        return Digest;
    }

    public void Dispose()
    {
        _file?.Dispose();
        _hash?.Dispose();
        _lock.Dispose(); // closing the fd releases the flock
    }
}

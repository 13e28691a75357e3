using System.Security.Cryptography;

namespace Kapsel.Images.Content;

/// <summary>
/// A read-only stream that hashes what passes through and, at end of stream, throws when the
/// digest or size differs from what was expected. Used for blob reads and layer diff_ids, so a
/// corrupted or tampered blob is never silently accepted.
/// </summary>
public sealed class VerifyingReadStream(Stream inner, Digest expected, long expectedSize, string what, bool leaveOpen = false, bool verifyAtEof = true) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;

    /// <summary>Bytes read so far.</summary>
    public long BytesRead => _read;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Account(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        Account(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) { if (verifyAtEof) Verify(); return; }
        _read += data.Length;
        if (expectedSize >= 0 && _read > expectedSize)
            throw new ImageException($"{what}: more data than the expected {expectedSize} bytes");
        _hash.AppendData(data);
    }

    /// <summary>Checks size and digest now (called automatically at end of stream).</summary>
    public void Verify()
    {
        if (_verified) return;
        if (expectedSize >= 0 && _read != expectedSize)
            throw new ImageException($"{what}: size {_read} bytes, expected {expectedSize}");
        var actual = Digest.FromHash(_hash.GetHashAndReset());
        if (actual != expected)
            throw new ImageException($"{what}: digest mismatch: got {actual}, expected {expected}");
        _verified = true;
    }

    /// <summary>Reads to the end (verifying); for streams whose consumer may stop early (tar padding).</summary>
    public void DrainAndVerify()
    {
        var buffer = new byte[81920];
        while (Read(buffer) > 0) { }
        Verify();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

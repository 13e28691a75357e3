namespace Kapsel.Images.Registry;

/// <summary>
/// A response body that may not stall: each read must bring data within the idle time, or it
/// fails with an <see cref="ImageException"/> (a server that accepts and never sends would
/// otherwise hold a pull forever; a slow but flowing one is fine).
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, TimeSpan idle, string message) : Stream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(idle);
        try { return await inner.ReadAsync(buffer, timeout.Token).ConfigureAwait(false); }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested) { throw new ImageException(message, e); }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
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

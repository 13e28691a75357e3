using System.Net;

namespace Kapsel.Images.Registry;

/// <summary>HTTP content streamed from a (verifying) blob stream, reporting bytes sent.</summary>
internal sealed class ProgressStreamContent(Stream source, long length, Action<int> sent) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await source.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            sent(n);
        }
    }

    protected override bool TryComputeLength(out long len)
    {
        len = length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) source.Dispose();
        base.Dispose(disposing);
    }
}

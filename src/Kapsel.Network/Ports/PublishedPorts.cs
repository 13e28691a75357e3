namespace Kapsel.Network.Ports;

/// <summary>
/// The published ports of one attachment while they are live: the userland forwarders (loopback)
/// plus the DNAT rules in the kernel. Disposing stops the forwarders and removes the rules; the
/// rules also go when the attachment is disconnected or pruned.
/// </summary>
public sealed class PublishedPorts(IReadOnlyList<PortForwarder> forwarders, Action removeRules) : IAsyncDisposable, IDisposable
{
    private int _disposed;

    public IReadOnlyList<PortForwarder> Forwarders { get; } = forwarders;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var f in Forwarders) await f.StopAsync().ConfigureAwait(false);
        removeRules();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

using System.Net;
using System.Net.Sockets;

namespace Kapsel.Network.Ports;

/// <summary>
/// The TCP half of a userland forwarder: accepts on the listener and, per connection, connects to
/// the target and copies both ways with one fixed buffer per direction (bounded memory), passing
/// half-closes on. The target sees the forwarder's address, not the client's — the price of a
/// userland path, which is why DNAT serves everything but loopback.
/// </summary>
internal sealed class TcpRelay(Socket listener, IPEndPoint target, int maxConnections, int bufferSize)
{
    private readonly SemaphoreSlim _slots = new(maxConnections);

    public async Task RunAsync(CancellationToken stop)
    {
        var connections = new List<Task>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _slots.WaitAsync(stop).ConfigureAwait(false);
                Socket client;
                try { client = await listener.AcceptAsync(stop).ConfigureAwait(false); }
                catch { _slots.Release(); throw; }
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(Task.Run(() => ServeAsync(client, stop), CancellationToken.None));
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) when (stop.IsCancellationRequested) { }
        await Task.WhenAll(connections).ConfigureAwait(false);
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        using var upstream = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            client.NoDelay = true;
            await upstream.ConnectAsync(target, stop).ConfigureAwait(false);
            await Task.WhenAll(CopyAsync(client, upstream, stop), CopyAsync(upstream, client, stop)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            client.Dispose();
            _slots.Release();
        }
    }

    private async Task CopyAsync(Socket from, Socket to, CancellationToken stop)
    {
        var buffer = new byte[bufferSize];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
                if (n == 0) break;
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop).ConfigureAwait(false);
            }
            to.Shutdown(SocketShutdown.Send); // pass the half-close on
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side broke: end both directions.
            try { from.Shutdown(SocketShutdown.Both); } catch (Exception) { }
            try { to.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        }
    }
}

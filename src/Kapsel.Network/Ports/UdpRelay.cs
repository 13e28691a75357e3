using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kapsel.Network.Ports;

/// <summary>
/// The UDP half of a userland forwarder: one "flow" per client address, each with its own
/// connected socket to the target so replies find their way back; flows expire after an idle
/// timeout and their number is capped (new clients beyond it are dropped, like a full conntrack).
/// </summary>
internal sealed class UdpRelay(Socket listener, IPEndPoint target, int maxFlows, TimeSpan idleTimeout)
{
    private const int MaxDatagram = 65535;
    private readonly ConcurrentDictionary<IPEndPoint, Flow> _flows = new();

    private sealed class Flow(Socket upstream)
    {
        public Socket Upstream { get; } = upstream;
        public long LastActive = Environment.TickCount64;
    }

    public async Task RunAsync(CancellationToken stop)
    {
        var buffer = new byte[MaxDatagram];
        var tasks = new ConcurrentBag<Task>();
        using var sweeper = new Timer(_ => Sweep(), null, idleTimeout / 2, idleTimeout / 2);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var result = await listener.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop)
                    .ConfigureAwait(false);
                var client = (IPEndPoint)result.RemoteEndPoint;
                if (!_flows.TryGetValue(client, out var flow))
                {
                    if (_flows.Count >= maxFlows) continue;
                    var upstream = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    upstream.Connect(target);
                    flow = new Flow(upstream);
                    _flows[client] = flow;
                    tasks.Add(Task.Run(() => RepliesAsync(client, flow, stop), CancellationToken.None));
                }
                flow.LastActive = Environment.TickCount64;
                try { await flow.Upstream.SendAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, stop).ConfigureAwait(false); }
                catch (SocketException) { } // e.g. ECONNREFUSED from an earlier datagram: UDP carries on
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) when (stop.IsCancellationRequested) { }
        foreach (var flow in _flows.Values) flow.Upstream.Dispose();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task RepliesAsync(IPEndPoint client, Flow flow, CancellationToken stop)
    {
        var buffer = new byte[MaxDatagram];
        try
        {
            while (true)
            {
                int n;
                try { n = await flow.Upstream.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false); }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { continue; }
                flow.LastActive = Environment.TickCount64;
                await listener.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, client, stop).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            _flows.TryRemove(KeyValuePair.Create(client, flow));
            flow.Upstream.Dispose();
        }
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var (client, flow) in _flows)
            if (now - Volatile.Read(ref flow.LastActive) > (long)idleTimeout.TotalMilliseconds && _flows.TryRemove(KeyValuePair.Create(client, flow)))
                flow.Upstream.Dispose(); // ends its reply loop
    }
}

using System.Net;
using System.Net.Sockets;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Ports;

/// <summary>
/// A userland forwarder for one published port: listens on [HostIp or 0.0.0.0]:HostPort and relays
/// to target:ContainerPort. It serves what DNAT cannot: connections to 127.0.0.1 (the kernel
/// won't route loopback-sourced packets out of a bridge without route_localnet=1, which would
/// expose 127.0.0.0/8 services to the network). Holding the socket also reserves the port, so a
/// taken port is refused at <see cref="Start"/>.
///
/// Lifetime: these are async tasks in the calling process. A CLI that exits must hand them to
/// something that lives as long as the instance — the per-instance monitor process is the
/// intended host (one small process serving all of its instance's ports).
/// </summary>
public sealed class PortForwarder : IAsyncDisposable, IDisposable
{
    public const int DefaultBufferSize = 64 * 1024;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public PortMapping Mapping { get; }
    public IPEndPoint Target { get; }
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    private PortForwarder(PortMapping mapping, IPEndPoint target, Socket listener, int maxClients, int bufferSize, TimeSpan udpIdle)
    {
        (Mapping, Target, _listener) = (mapping, target, listener);
        _run = mapping.Protocol == PortProtocol.Tcp
            ? Task.Run(() => new TcpRelay(listener, target, maxClients, bufferSize).RunAsync(_stop.Token))
            : Task.Run(() => new UdpRelay(listener, target, maxClients, udpIdle).RunAsync(_stop.Token));
    }

    /// <summary>Binds and starts relaying; a port in use throws <see cref="NetworkException"/> naming it.</summary>
    public static PortForwarder Start(PortMapping mapping, IPAddress targetAddress, int maxClients = 1024,
        int bufferSize = DefaultBufferSize, TimeSpan? udpIdleTimeout = null)
    {
        var local = new IPEndPoint(mapping.HostIp ?? IPAddress.Any, mapping.HostPort);
        var tcp = mapping.Protocol == PortProtocol.Tcp;
        var listener = new Socket(AddressFamily.InterNetwork, tcp ? SocketType.Stream : SocketType.Dgram, tcp ? ProtocolType.Tcp : ProtocolType.Udp);
        try
        {
            if (tcp) listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); // TIME_WAIT only; a live listener still conflicts
            listener.Bind(local);
            if (tcp) listener.Listen(512);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => new NetworkException($"cannot publish {mapping}: {local}/{mapping.ProtocolName} is already in use"),
                SocketError.AddressNotAvailable => new NetworkException($"cannot publish {mapping}: {local.Address} is not an address of this host"),
                _ => new NetworkException($"cannot publish {mapping}: bind {local}/{mapping.ProtocolName}: {e.Message}", e),
            };
        }
        return new PortForwarder(mapping, new IPEndPoint(targetAddress, mapping.ContainerPort), listener,
            maxClients, bufferSize, udpIdleTimeout ?? TimeSpan.FromSeconds(60));
    }

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
        _listener.Dispose();
        try { await _run.ConfigureAwait(false); } catch (OperationCanceledException) { }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    public void Dispose() => StopAsync().GetAwaiter().GetResult();
}

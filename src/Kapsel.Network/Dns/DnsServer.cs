using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Dns;

/// <summary>
/// Looks a name up for <see cref="DnsServer"/>: null if the name is unknown (NXDOMAIN), otherwise
/// the name's addresses of the asked family (empty = the name exists but has no such record).
/// </summary>
public delegate IReadOnlyList<IPAddress>? DnsLookup(string name, ushort type);

/// <summary>
/// The embedded name service of one network: UDP and TCP on the bridge's gateway address (port 53),
/// authoritative for the instance names on that network, NXDOMAIN for everything else. It never
/// forwards a query anywhere.
///
/// Why a DNS responder rather than /etc/hosts: one mechanism serves every level — a VM's guest
/// resolves through the gateway exactly like a container, whereas its /etc/hosts is inside a
/// disk image the host cannot keep in sync; names appear and vanish the moment the store changes
/// (lookups go to the store on every query, so several kapsel processes agree), and no file
/// inside any instance's rootfs has to be rewritten on every connect/disconnect of a neighbour.
/// The cost is a listener that must live as long as the network is in use: every process that
/// hosts an instance of the network (its monitor, or the foreground kapsel) binds one with
/// SO_REUSEPORT, so the service lives exactly as long as the network has a running instance.
/// </summary>
public sealed class DnsServer : IAsyncDisposable, IDisposable
{
    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly DnsLookup _lookup;
    private readonly IReadOnlyList<IPEndPoint> _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop, _tcpLoop;

    public IPEndPoint UdpEndPoint => (IPEndPoint)_udp.LocalEndPoint!;
    public IPEndPoint TcpEndPoint => (IPEndPoint)_tcp.LocalEndPoint!;

    private DnsServer(Socket udp, Socket tcp, DnsLookup lookup, IReadOnlyList<IPEndPoint> upstream)
    {
        (_udp, _tcp, _lookup, _upstream) = (udp, tcp, lookup, upstream);
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    /// <summary>
    /// Binds UDP and TCP on address:port (53 by default; 0 picks a free port, for tests).
    /// <paramref name="shared"/>: SO_REUSEPORT, so every kapsel process hosting an instance of the
    /// network can serve it (they answer alike, from the store) and the name service lives as
    /// long as any of them. <paramref name="upstream"/>: where names that are not instances go
    /// (the host's resolvers), so instances can still resolve the outside world.
    /// </summary>
    public static DnsServer Start(IPAddress address, DnsLookup lookup, int port = 53, bool shared = false, IReadOnlyList<IPEndPoint>? upstream = null)
    {
        var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (shared)
            {
                const int SOL_SOCKET = 1, SO_REUSEPORT = 15;
                udp.SetRawSocketOption(SOL_SOCKET, SO_REUSEPORT, BitConverter.GetBytes(1));
                tcp.SetRawSocketOption(SOL_SOCKET, SO_REUSEPORT, BitConverter.GetBytes(1));
            }
            udp.Bind(new IPEndPoint(address, port));
            tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            tcp.Bind(new IPEndPoint(address, ((IPEndPoint)udp.LocalEndPoint!).Port));
            tcp.Listen(64);
            return new DnsServer(udp, tcp, lookup, upstream ?? []);
        }
        catch (SocketException e)
        {
            udp.Dispose();
            tcp.Dispose();
            throw new NetworkException($"cannot start the DNS responder on {address}:{port}: {e.Message}", e);
        }
    }

    /// <summary>Builds the answer to one query packet (the whole protocol, transport aside).</summary>
    public byte[] Answer(ReadOnlySpan<byte> packet)
    {
        if (DnsMessage.Opcode(packet) is not 0) return DnsMessage.BuildError(packet, DnsMessage.NotImp);
        if (DnsMessage.ParseQuery(packet) is not { } query) return DnsMessage.BuildError(packet, DnsMessage.FormErr);
        var (id, question) = query;
        if (question.Class != DnsMessage.ClassIn) return DnsMessage.BuildResponse(id, question, DnsMessage.Refused, []);
        IReadOnlyList<IPAddress>? found;
        try { found = _lookup(question.Name.TrimEnd('.'), question.Type); }
        catch (Exception) { return DnsMessage.BuildResponse(id, question, DnsMessage.ServFail, []); }
        return found is null
            ? DnsMessage.BuildResponse(id, question, DnsMessage.NxDomain, [])
            : DnsMessage.BuildResponse(id, question, DnsMessage.NoError, found);
    }

    /// <summary>
    /// The answer, or for a name that is no instance's (NXDOMAIN) the first upstream's answer to
    /// the same packet; the upstream's silence or failure leaves our NXDOMAIN.
    /// </summary>
    private async Task<byte[]> AnswerOrForwardAsync(byte[] packet, CancellationToken stop)
    {
        var answer = Answer(packet);
        if (_upstream.Count == 0 || answer.Length < 4 || (answer[3] & 0xF) != DnsMessage.NxDomain) return answer;
        foreach (var server in _upstream)
        {
            using var s = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                await s.SendToAsync(packet, SocketFlags.None, server, timeout.Token).ConfigureAwait(false);
                var buffer = new byte[4096];
                var n = await s.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (n >= 4 && buffer[0] == packet[0] && buffer[1] == packet[1]) return buffer[..n];
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException) { }
        }
        return answer;
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[4096];
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var result = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop).ConfigureAwait(false);
                var packet = buffer[..result.ReceivedBytes];
                var client = result.RemoteEndPoint;
                // Answered off the loop: a slow upstream must not hold up queries for instances.
                _ = Task.Run(async () =>
                {
                    try
                    {
                        var answer = await AnswerOrForwardAsync(packet, stop).ConfigureAwait(false);
                        await _udp.SendToAsync(answer, SocketFlags.None, client, stop).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
                }, CancellationToken.None);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException) { } // one bad client must not stop the service
        }
    }

    private async Task TcpLoopAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _tcp.AcceptAsync(stop).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            _ = Task.Run(() => ServeTcpAsync(client, stop), CancellationToken.None);
        }
    }

    // RFC 1035 §4.2.2: each message is preceded by its 2-byte length; a client may send several.
    private async Task ServeTcpAsync(Socket client, CancellationToken stop)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var length = new byte[2];
        try
        {
            while (await ReceiveExactlyAsync(client, length, timeout.Token).ConfigureAwait(false))
            {
                var packet = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                if (!await ReceiveExactlyAsync(client, packet, timeout.Token).ConfigureAwait(false)) return;
                var answer = await AnswerOrForwardAsync(packet, timeout.Token).ConfigureAwait(false);
                var framed = new byte[answer.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
                answer.CopyTo(framed, 2);
                await client.SendAsync(framed, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    private static async Task<bool> ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken token)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, token).ConfigureAwait(false);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
        _udp.Dispose();
        _tcp.Dispose();
        await Task.WhenAll(_udpLoop, _tcpLoop).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    public void Dispose() => StopAsync().GetAwaiter().GetResult();
}

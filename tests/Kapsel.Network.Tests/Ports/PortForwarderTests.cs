using System.Net;
using System.Net.Sockets;
using Kapsel.Network.Networks;
using Kapsel.Network.Ports;
using Kapsel.Network.Tests.Networks;

namespace Kapsel.Network.Tests.Ports;

/// <summary>The userland forwarder alone, on loopback: TCP echo with half-close, UDP per-client flows, mapping syntax.</summary>
public sealed class PortForwarderTests
{
    [Fact]
    public async Task RelaysTcpBothWaysIncludingHalfClose()
    {
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echo.Listen(8);
        var echoTask = Task.Run(async () =>
        {
            using var c = await echo.AcceptAsync();
            var buffer = new byte[8192];
            int n;
            while ((n = await c.ReceiveAsync(buffer)) > 0) await c.SendAsync(buffer.AsMemory(0, n));
            c.Shutdown(SocketShutdown.Send);
        });
        var port = FreePort.Get();
        await using var forwarder = PortForwarder.Start(new PortMapping(IPAddress.Loopback, port, ((IPEndPoint)echo.LocalEndPoint!).Port, PortProtocol.Tcp), IPAddress.Loopback);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var payload = new byte[1 << 20];
        Random.Shared.NextBytes(payload);
        var send = Task.Run(async () => { await client.SendAsync(payload); client.Shutdown(SocketShutdown.Send); });
        var received = new MemoryStream();
        var buffer = new byte[65536];
        int read;
        while ((read = await client.ReceiveAsync(buffer)) > 0) received.Write(buffer, 0, read);
        await send;
        await echoTask;
        Assert.Equal(payload, received.ToArray());
    }

    [Fact]
    public async Task RelaysUdpPerClient()
    {
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var echoTask = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            try
            {
                while (true)
                {
                    var r = await echo.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop.Token);
                    await echo.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint, stop.Token);
                }
            }
            catch (OperationCanceledException) { }
        });
        var port = FreePort.Get();
        await using (PortForwarder.Start(new PortMapping(IPAddress.Loopback, port, ((IPEndPoint)echo.LocalEndPoint!).Port, PortProtocol.Udp), IPAddress.Loopback))
        {
            for (var c = 0; c < 3; c++)
            {
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                client.Connect(new IPEndPoint(IPAddress.Loopback, port));
                var text = $"client {c}";
                await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(text));
                var buffer = new byte[100];
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                Assert.Equal(text, System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        stop.Cancel();
        await echoTask;
    }

    [Fact]
    public void TakenPortIsRefused()
    {
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        var e = Assert.Throws<NetworkException>(() => PortForwarder.Start(new PortMapping(IPAddress.Loopback, port, 80, PortProtocol.Udp), IPAddress.Loopback));
        Assert.Contains($"127.0.0.1:{port}/udp is already in use", e.Message);
    }

    [Theory]
    [InlineData("8080:80", null, 8080, 80, PortProtocol.Tcp)]
    [InlineData("127.0.0.1:18080:80", "127.0.0.1", 18080, 80, PortProtocol.Tcp)]
    [InlineData("53:5353/udp", null, 53, 5353, PortProtocol.Udp)]
    [InlineData("0.0.0.0:9000:9000/TCP", "0.0.0.0", 9000, 9000, PortProtocol.Tcp)]
    public void ParsesDockerStyleMappings(string text, string? ip, int host, int container, PortProtocol protocol)
    {
        var m = PortMapping.Parse(text);
        Assert.Equal(ip, m.HostIp?.ToString());
        Assert.Equal((host, container, protocol), (m.HostPort, m.ContainerPort, m.Protocol));
    }
}

using System.Net;
using System.Net.Sockets;
using Kapsel.Network.Firewall;
using Kapsel.Network.Networks;
using Kapsel.Network.Ports;

namespace Kapsel.Network.Tests.Networks;

/// <summary>`-p` end to end: busybox httpd and a UDP socket in a namespace, reached from the host.</summary>
public sealed class PublishedPortTests : IDisposable
{
    private readonly NetworkTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task TcpPortAnswersOnLoopbackViaForwarderAndOnTheBridgeAddressViaDnat()
    {
        var net = _env.Manager.Create(_env.UniqueName("web"), NetworkTestEnvironment.NewSubnet());
        var ns = _env.Namespace();
        var a = _env.Connect(net.Name, "httpd", ns);
        var root = Directory.CreateTempSubdirectory("kapsel-httpd-");
        try
        {
            File.WriteAllText(Path.Combine(root.FullName, "index.html"), "hello from kapsel\n");
            _env.Background(ns, "/bin/busybox", "httpd", "-f", "-p", "80", "-h", root.FullName);
            var port = FreePort.Get();
            await using var published = _env.Manager.Publish(a, [PortMapping.Parse($"{port}:80")]);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

            // Loopback: DNAT in the output chain too (route_localnet on the bridge, masqueraded), not the forwarder.
            Assert.Equal("hello from kapsel\n", await GetWithRetry(http, $"http://127.0.0.1:{port}/"));
            var afterLoopback = DnatPackets(a.LeaseId);
            Assert.True(afterLoopback > 0, "the DNAT rule counted the loopback connection");

            // The host's bridge-side address: DNAT in the output chain as well.
            Assert.Equal("hello from kapsel\n", await http.GetStringAsync($"http://{net.Gateway}:{port}/"));
            Assert.True(DnatPackets(a.LeaseId) > afterLoopback, "the DNAT rule counted the connection");
        }
        finally
        {
            root.Delete(recursive: true);
        }
        Assert.Empty(_env.Manager.Firewall.Snapshot().Rules); // disposal removed the rules
    }

    [Fact]
    public async Task UdpPortIsPublishedBothWays()
    {
        var net = _env.Manager.Create(_env.UniqueName("udp"), NetworkTestEnvironment.NewSubnet());
        var ns = _env.Namespace();
        var a = _env.Connect(net.Name, "udp", ns);
        using var server = ConnectivityTests.InNamespace(ns, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Any, 5353));
        using var stop = new CancellationTokenSource();
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            try
            {
                while (true)
                {
                    var r = await server.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop.Token);
                    var reply = System.Text.Encoding.ASCII.GetBytes($"{System.Text.Encoding.ASCII.GetString(buffer, 0, r.ReceivedBytes)} from {((IPEndPoint)r.RemoteEndPoint).Address}");
                    await server.SendToAsync(reply, SocketFlags.None, r.RemoteEndPoint, stop.Token);
                }
            }
            catch (OperationCanceledException) { }
        });
        var port = FreePort.Get();
        await using (_env.Manager.Publish(a, [PortMapping.Parse($"{port}:5353/udp")]))
        {
            // From loopback (DNAT + masquerade): the server sees the host's bridge address, not 127.0.0.1.
            Assert.Equal($"one from {net.Gateway}", await UdpAsk(IPAddress.Loopback, port, "one"));
            // Via DNAT to the bridge address: the kernel keeps the client socket's own source (here also the bridge address).
            Assert.Equal($"two from {net.Gateway}", await UdpAsk(net.Gateway, port, "two"));
            Assert.True(DnatPackets(a.LeaseId) > 0);
        }
        stop.Cancel();
        await echo;
    }

    [Fact]
    public void PortInUseIsAClearErrorAndLeavesNothing()
    {
        var net = _env.Manager.Create(_env.UniqueName("busy"), NetworkTestEnvironment.NewSubnet());
        var ns = _env.Namespace();
        var a = _env.Connect(net.Name, "busy", ns);
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen(1);
        var taken = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        var free = FreePort.Get();
        var e = Assert.Throws<NetworkException>(() => _env.Manager.Publish(a, [PortMapping.Parse($"{free}:80"), PortMapping.Parse($"{taken}:80")]));
        Assert.Contains("already in use", e.Message);
        Assert.Contains(taken.ToString(), e.Message);
        Assert.Empty(_env.Manager.Firewall.Snapshot().Rules);
        // The first port's forwarder was stopped again: the port is free.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Any, free));
    }

    private long DnatPackets(string leaseId)
    {
        var json = Netlink.Shell.Run("nft", "-j", "list", "chain", "inet", _env.Manager.Options.TableName, "ports").Stdout;
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        long packets = 0;
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
            if (item.TryGetProperty("rule", out var rule) && rule.TryGetProperty("comment", out var c) && c.GetString() == NftFirewall.PortRuleTag + leaseId)
                foreach (var expr in rule.GetProperty("expr").EnumerateArray())
                    if (expr.TryGetProperty("counter", out var counter)) packets += counter.GetProperty("packets").GetInt64();
        return packets;
    }

    private static async Task<string> GetWithRetry(HttpClient http, string url)
    {
        for (var attempt = 0; ; attempt++)
        {
            try { return await http.GetStringAsync(url); }
            catch (HttpRequestException) when (attempt < 20) { await Task.Delay(100); } // httpd still starting
        }
    }

    private static async Task<string> UdpAsk(IPAddress address, int port, string text)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(new IPEndPoint(address, port));
        await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(text));
        var buffer = new byte[1500];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
    }
}

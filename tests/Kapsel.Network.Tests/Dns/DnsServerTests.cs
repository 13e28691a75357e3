using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kapsel.Network.Dns;

namespace Kapsel.Network.Tests.Dns;

/// <summary>The responder over loopback: A, AAAA, NXDOMAIN, garbage, TCP framing.</summary>
public sealed class DnsServerTests : IDisposable
{
    private readonly DnsServer _server = DnsServer.Start(IPAddress.Loopback, (name, type) => name.ToLowerInvariant() switch
    {
        "web" => type == DnsMessage.TypeA ? [IPAddress.Parse("10.213.7.2"), IPAddress.Parse("10.213.7.9")] : [],
        "boom" => throw new InvalidOperationException("store unavailable"),
        _ => null,
    }, port: 0);

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task AnswersKnownNamesAndNxDomainForOthers()
    {
        var (rcode, addresses) = await UdpQuery("web", DnsMessage.TypeA);
        Assert.Equal(DnsMessage.NoError, rcode);
        Assert.Equal(["10.213.7.2", "10.213.7.9"], addresses.Select(a => a.ToString()));

        (rcode, addresses) = await UdpQuery("WEB.", DnsMessage.TypeAaaa);
        Assert.Equal(DnsMessage.NoError, rcode); // the name exists, just no IPv6 address
        Assert.Empty(addresses);

        (rcode, _) = await UdpQuery("example.com", DnsMessage.TypeA);
        Assert.Equal(DnsMessage.NxDomain, rcode); // never forwarded

        (rcode, _) = await UdpQuery("boom", DnsMessage.TypeA);
        Assert.Equal(DnsMessage.ServFail, rcode);
    }

    [Fact]
    public async Task AnswersOverTcpWithLengthPrefix()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_server.TcpEndPoint);
        for (var i = 0; i < 2; i++) // two queries on one connection
        {
            var query = DnsMessage.BuildQuery((ushort)(40 + i), "web", DnsMessage.TypeA);
            var framed = new byte[query.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed, 2);
            await client.SendAsync(framed);
            var length = new byte[2];
            await client.ReceiveAsync(length);
            var answer = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
            var read = 0;
            while (read < answer.Length) read += await client.ReceiveAsync(answer.AsMemory(read));
            Assert.Equal(40 + i, BinaryPrimitives.ReadUInt16BigEndian(answer));
            Assert.Equal(2, DnsMessage.ParseResponse(answer).Addresses.Count);
        }
    }

    [Fact]
    public void GarbageGetsFormErrAndOtherOpcodesNotImp()
    {
        Assert.Equal(DnsMessage.FormErr, _server.Answer([1, 2, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 99])[3] & 0xF);
        var query = DnsMessage.BuildQuery(7, "web", DnsMessage.TypeA);
        query[2] |= 2 << 3; // opcode STATUS
        Assert.Equal(DnsMessage.NotImp, _server.Answer(query)[3] & 0xF);
    }

    [Fact]
    public void ResolvConfPointsAtTheGateway()
    {
        var text = ResolvConf.Generate(IPAddress.Parse("10.213.7.1"));
        Assert.Contains("nameserver 10.213.7.1\n", text);
        Assert.Single(text.Split('\n'), l => l.StartsWith("nameserver"));
    }

    private async Task<(int, List<IPAddress>)> UdpQuery(string name, ushort type)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(_server.UdpEndPoint);
        await client.SendAsync(DnsMessage.BuildQuery(1234, name, type));
        var buffer = new byte[512];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        Assert.Equal(1234, BinaryPrimitives.ReadUInt16BigEndian(buffer));
        return DnsMessage.ParseResponse(buffer.AsSpan(0, n));
    }
}

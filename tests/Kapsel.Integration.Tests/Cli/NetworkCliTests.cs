using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// Networks through the real binary (issue "Networks" acceptance): names, isolation, none/host,
/// published TCP/UDP ports, teardown after many instances, and bad input. Traffic stays on
/// loopback and inside the namespaces these tests create.
/// </summary>
public sealed class NetworkCliTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();
    private static readonly string Debian = "debian:bookworm";

    public NetworkCliTests()
    {
        // The shared built-in images (made by test.sh) instead of building them per test root.
        var images = Path.Combine(KapselBinary.RepoRoot, ".build/test-images/images");
        if (Directory.Exists(images)) KapselBinary.Exec("cp", ["-a", "--reflink=auto", images, _kapsel.Root]);
    }

    public void Dispose()
    {
        _kapsel.Dispose();
        Assert.Empty(_kapsel.HostLinks());
        Assert.Equal("", _kapsel.NftRuleset());
        Assert.Empty(HostLeaks.ProcessesMentioning(_kapsel.Root));
    }

    private Result Ok(params string[] args)
    {
        var r = _kapsel.Run(args);
        Assert.True(r.ExitCode == 0, $"kapsel {string.Join(' ', args)}: {r}");
        return r;
    }

    private const string UdpEchoServer =
        "use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 5353, Proto => 'udp') or die $!; " +
        "while (1) { my $m; $s->recv($m, 512); $s->send(\"pong:$m\"); }";

    private static string UdpClient(string host) =>
        "use IO::Socket::INET; my $s = IO::Socket::INET->new(PeerAddr => '" + host + ":5353', Proto => 'udp') or die \"resolve: $!\\n\"; " +
        "$s->send('ping'); my $r; local $SIG{ALRM} = sub { die \"timeout\\n\" }; alarm 3; $s->recv($r, 512); print \"$r\\n\";";

    private const string HttpServer = "mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www";

    [Fact]
    public void InstancesOnOneNetworkReachEachOtherByNameOverTcpAndUdpButNotFromAnotherNetwork()
    {
        Ok("network", "create", "front");
        Ok("network", "create", "back");
        Ok("run", "-d", "--name", "web", "--hostname", "web", "--network", "front", "busybox", "sh", "-c", HttpServer);
        Ok("run", "-d", "--name", "udp", "--network", "front", Debian, "perl", "-e", UdpEchoServer);

        // Debian's static busybox wget crashes with -T: `timeout` bounds it instead. Retries cover the server's start.
        var tcp = Ok("run", "--rm", "--network", "front", "busybox", "sh", "-c", Retry("timeout 5 wget -qO- http://web/"));
        Assert.Equal("hello-web", tcp.Stdout.Trim());
        var udp = Ok("run", "--rm", "--network", "front", Debian, "sh", "-c", Retry($"perl -e \"$0\"", 10), UdpClient("udp"));
        Assert.Equal("pong:ping", udp.Stdout.Trim());

        // Another network: the name is unknown there, and the address is unreachable.
        var webIp = JsonDocument.Parse(Ok("inspect", "web").Stdout).RootElement[0].GetProperty("networks")[0].GetProperty("ipAddress").GetString();
        var other = _kapsel.Run("run", "--rm", "--network", "back", "busybox", "sh", "-c",
            $"timeout 2 wget -qO- http://web/; echo name=$?; timeout 2 wget -qO- http://{webIp}/; echo ip=$?");
        Assert.DoesNotContain("name=0", other.Stdout);
        Assert.DoesNotContain("ip=0", other.Stdout);
        Assert.DoesNotContain("hello", other.Stdout);
    }

    [Fact]
    public void NoneHasOnlyLoopbackAndHostSeesTheHostInterfaces()
    {
        var none = Ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ls /sys/class/net");
        Assert.Equal("lo", none.Stdout.Trim());
        var host = Ok("run", "--rm", "--network", "host", "busybox", "sh", "-c", "ls /sys/class/net");
        var hostLinks = Directory.GetFileSystemEntries("/sys/class/net").Select(p => Path.GetFileName(p)!).Order().ToList();
        var seen = host.Stdout.Split(new[] { ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries).Order().ToList();
        Assert.Equal(hostLinks, seen);
    }

    [Fact]
    public async Task PublishedTcpAndUdpPortsAnswerOnLoopback()
    {
        var tcpPort = FreePort(SocketType.Stream);
        var udpPort = FreePort(SocketType.Dgram);
        Ok("run", "-d", "--name", "pub", "--hostname", "pub", "-p", $"127.0.0.1:{tcpPort}:80", "busybox", "sh", "-c", HttpServer);
        Ok("run", "-d", "--name", "pubudp", "-p", $"127.0.0.1:{udpPort}:5353/udp", Debian, "perl", "-e", UdpEchoServer);
        Assert.Equal($"80/tcp -> 127.0.0.1:{tcpPort}", Ok("port", "pub").Stdout.Trim());

        Assert.Equal("hello-pub", (await GetWithRetries($"http://127.0.0.1:{tcpPort}/")).Trim());

        using var udp = new UdpClient();
        udp.Connect(IPAddress.Loopback, udpPort);
        string? reply = null;
        for (var attempt = 0; attempt < 20 && reply is null; attempt++) // the server may still be starting
        {
            await udp.SendAsync(Encoding.ASCII.GetBytes("ping"));
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try { reply = Encoding.ASCII.GetString((await udp.ReceiveAsync(cts.Token)).Buffer); }
            catch (OperationCanceledException) { }
            catch (SocketException) { await Task.Delay(250); } // ICMP port unreachable (via DNAT) until the server binds
        }
        Assert.Equal("pong:ping", reply);

        // Stopping releases the port: it can be bound again by anyone.
        Ok("stop", "-t", "1", "pub");
        using var again = new TcpListener(IPAddress.Loopback, tcpPort);
        again.Start();
    }

    [Fact]
    public async Task PortsPublishedOnAllAddressesAreReachableThroughAHostAddressByDnat()
    {
        var port = FreePort(SocketType.Stream);
        Ok("network", "create", "dnat");
        Ok("run", "-d", "--name", "dn", "--hostname", "dn", "--network", "dnat", "-p", $"{port}:80", "busybox", "sh", "-c", HttpServer);
        Assert.Contains("dnat ip to", _kapsel.NftRuleset());
        // The network's gateway is an address of this host but not loopback: the kernel's DNAT path.
        var gateway = JsonDocument.Parse(Ok("network", "inspect", "dnat").Stdout).RootElement[0].GetProperty("gateway").GetString();
        Assert.Equal("hello-dn", (await GetWithRetries($"http://{gateway}:{port}/")).Trim());
    }

    [Fact]
    public void TwoHundredInstancesCreatedAndRemovedLeaveNoLinksRulesOrLeases()
    {
        Ok("network", "create", "churn");
        var port = FreePort(SocketType.Stream);
        for (var i = 0; i < 200; i++)
        {
            if (i % 2 == 0)
                Ok("run", "--rm", "--network", "churn", "-p", $"{port}:80", "busybox", "true");
            else
            {
                var id = Ok("run", "-d", "--network", "churn", "-p", $"{port}:80", "busybox", "sleep", "60").Stdout.Trim();
                Ok("rm", "-f", id);
            }
        }
        var network = JsonDocument.Parse(Ok("network", "inspect", "churn").Stdout).RootElement[0];
        Assert.Equal(0, network.GetProperty("instances").GetInt32());
        Assert.DoesNotContain(_kapsel.HostLinks(), l => !l.StartsWith(_kapsel.LinkPrefix + "b-")); // only the bridge
        Assert.DoesNotContain("dnat ip to", _kapsel.NftRuleset());
        Assert.Equal("", Ok("ps", "-a", "-q").Stdout.Trim());
    }

    [Fact]
    public void PruneFindsAndRemovesWhatAKilledMonitorLeftBehind()
    {
        Ok("network", "create", "crash");
        var port = FreePort(SocketType.Stream);
        Ok("run", "-d", "--name", "orphan", "--network", "crash", "-p", $"{port}:80", "busybox", "sleep", "600");
        var pid = JsonDocument.Parse(Ok("inspect", "orphan").Stdout).RootElement[0].GetProperty("pid").GetInt32();
        var monitor = int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(' ')[3]); // the monitor is the init's parent
        KapselBinary.Exec("kill", ["-9", monitor.ToString()]);
        KapselBinary.Exec("kill", ["-9", pid.ToString()]);
        for (var i = 0; i < 50 && Directory.Exists($"/proc/{pid}"); i++) Thread.Sleep(100);
        Assert.Contains("dnat ip to", _kapsel.NftRuleset()); // the crash left its port rule and lease

        var prune = Ok("network", "prune");
        Assert.Contains("Released 1", prune.Stdout);
        Assert.Contains("Deleted network crash", prune.Stdout);
        Assert.DoesNotContain("dnat ip to", _kapsel.NftRuleset());
        Assert.Contains("Exited", Ok("ps", "-a").Stdout);
        Ok("rm", "orphan");
        Assert.DoesNotContain(_kapsel.HostLinks(), l => l.StartsWith(_kapsel.LinkPrefix + "v-"));
    }

    [Fact]
    public void BadInputIsOneClearLineAndLeavesNothing()
    {
        Ok("network", "create", "--subnet", "10.231.0.0/24", "first");
        var linksBefore = _kapsel.HostLinks();

        var overlap = _kapsel.Run("network", "create", "--subnet", "10.231.0.128/25", "second");
        Assert.Equal(125, overlap.ExitCode);
        Assert.Contains("overlap", overlap.Stderr);
        var cidr = _kapsel.Run("network", "create", "--subnet", "10.300.0.0/24", "third");
        Assert.Equal(125, cidr.ExitCode);
        Assert.Contains("10.300.0.0/24", cidr.Stderr);
        Assert.Equal(linksBefore, _kapsel.HostLinks());
        Assert.DoesNotContain("second", Ok("network", "ls").Stdout);

        var unknown = _kapsel.Run("run", "--rm", "--network", "nope", "busybox", "true");
        Assert.Equal(125, unknown.ExitCode);
        Assert.Contains("network \"nope\" not found", unknown.Stderr);

        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var busy = _kapsel.Run("run", "-d", "--network", "first", "-p", $"127.0.0.1:{port}:80", "busybox", "sleep", "60");
        Assert.Equal(125, busy.ExitCode);
        Assert.Contains(port.ToString(), busy.Stderr);
        Assert.Single(busy.Stderr.Trim().Split('\n'));

        var badPort = _kapsel.Run("run", "--rm", "-p", "80:99999", "busybox", "true");
        Assert.Equal(125, badPort.ExitCode);
        Assert.Contains("99999", badPort.Stderr);

        Assert.Equal("", Ok("ps", "-a", "-q").Stdout.Trim());
        Assert.Equal(linksBefore, _kapsel.HostLinks());
        Assert.Equal(0, JsonDocument.Parse(Ok("network", "inspect", "first").Stdout).RootElement[0].GetProperty("instances").GetInt32());
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
    }

    /// <summary>A shell loop running <paramref name="command"/> until it succeeds (servers take a moment to start).</summary>
    private static string Retry(string command, int times = 20) =>
        $"for i in $(seq {times}); do {command} && exit 0; sleep 0.25; done; exit 1";

    private static async Task<string> GetWithRetries(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; ; attempt++)
        {
            try { return await http.GetStringAsync(url); }
            catch (HttpRequestException) when (attempt < 40) { await Task.Delay(250); }
        }
    }

    private static int FreePort(SocketType type)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}

using System.Diagnostics;
using System.Text.Json;
using Kapsel.Linux.Netlink;
using Kapsel.Network.Ports;
using Kapsel.Network.Tests.Netlink;
using Xunit.Abstractions;

namespace Kapsel.Network.Tests.Networks;

/// <summary>
/// iperf3 in one run (issue 5's bench): instance-to-instance over one Kapsel bridge vs host
/// loopback (target ≥ 90%), plus a published port via the userland forwarder (127.0.0.1) and via
/// DNAT (the bridge address). Prints the figures; with KAPSEL_BENCH_OUT set, also writes them
/// there as JSON (bench/network.sh does). Only loopback and the test's own namespaces are used.
/// </summary>
[Trait("Category", "Bench")]
public sealed class ThroughputBench(ITestOutputHelper output) : IDisposable
{
    private readonly NetworkTestEnvironment _env = new();
    private static readonly int Seconds = int.TryParse(Environment.GetEnvironmentVariable("KAPSEL_BENCH_SECONDS"), out var s) ? s : 5;

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task BridgeThroughputAgainstLoopback()
    {
        // KAPSEL_BENCH_MTU: the network's MTU (unset: the kernel's 1500, what networks get by default).
        var mtu = int.TryParse(Environment.GetEnvironmentVariable("KAPSEL_BENCH_MTU"), out var m) ? m : (int?)null;
        var net = _env.Manager.Create(_env.UniqueName("perf"), NetworkTestEnvironment.NewSubnet(), mtu: mtu);
        var (client, server) = (_env.Namespace(), _env.Namespace());
        _env.Connect(net.Name, "client", client);
        var target = _env.Connect(net.Name, "server", server);

        // One long-lived server in the server namespace serves every namespace-side run.
        _env.Background(server, "iperf3", "-s", "-p", "5201");
        var loopbackPort = FreePort.Get();
        var loopbackServer = Process.Start(new ProcessStartInfo("iperf3", ["-s", "-B", "127.0.0.1", "-p", loopbackPort.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            await Task.Delay(500);
            var loopback = Iperf(null, "127.0.0.1", loopbackPort);
            var bridge = Iperf(client, target.IPAddress.ToString(), 5201);
            var port = FreePort.Get();
            double forwarder, dnat;
            await using (_env.Manager.Publish(target, [PortMapping.Parse($"{port}:5201")]))
            {
                forwarder = Iperf(null, "127.0.0.1", port);
                dnat = Iperf(null, net.Gateway.ToString(), port);
            }
            var ratio = bridge / loopback;
            output.WriteLine($"iperf3 {Seconds}s, network MTU {mtu?.ToString() ?? "1500"}, Gbit/s: host loopback {loopback / 1e9:F2}; bridge (netns→netns) {bridge / 1e9:F2} " +
                             $"= {ratio:P0} of loopback (target ≥ 90%); published port via forwarder (127.0.0.1) {forwarder / 1e9:F2}, via DNAT (bridge address) {dnat / 1e9:F2}");
            if (Environment.GetEnvironmentVariable("KAPSEL_BENCH_OUT") is { Length: > 0 } path)
                File.WriteAllText(path, $$"""
                    {"seconds": {{Seconds}}, "mtu": {{mtu ?? 1500}}, "loopback_bps": {{loopback:F0}}, "bridge_bps": {{bridge:F0}}, "bridge_vs_loopback": {{ratio:F3}},
                     "published_forwarder_bps": {{forwarder:F0}}, "published_dnat_bps": {{dnat:F0}}}
                    """);
            Assert.True(bridge > 0 && loopback > 0 && forwarder > 0 && dnat > 0);
        }
        finally
        {
            loopbackServer.Kill();
            loopbackServer.WaitForExit();
            loopbackServer.Dispose();
        }
    }

    /// <summary>Receiver-side bits/s of one iperf3 -J client run (from the namespace, or the host when null).</summary>
    private static double Iperf(NamedNetworkNamespace? ns, string host, int port)
    {
        string[] args = ["-c", host, "-p", port.ToString(), "-t", Seconds.ToString(), "-J"];
        for (var attempt = 0; ; attempt++)
        {
            var r = ns is null ? Shell.Run("iperf3", args) : Shell.Run("ip", ["netns", "exec", ns.Name, "iperf3", .. args]);
            if (r.ExitCode == 0)
            {
                using var doc = JsonDocument.Parse(r.Stdout);
                return doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
            }
            if (attempt >= 10) throw new InvalidOperationException($"iperf3 -c {host}:{port} failed: {r.Stdout}{r.Stderr}");
            Thread.Sleep(300); // server not listening yet
        }
    }
}

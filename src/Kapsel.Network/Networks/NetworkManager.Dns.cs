using System.Net;
using Kapsel.Network.Dns;

namespace Kapsel.Network.Networks;

/// <summary>Names on a network, served by <see cref="DnsServer"/> from the store.</summary>
public sealed partial class NetworkManager
{
    /// <summary>
    /// A lookup for the network's DNS: an instance's hostname or id (optionally suffixed with
    /// ".{network}") → its addresses on that network. The store is read on every query, so
    /// attachments made by other kapsel processes resolve at once.
    /// </summary>
    public DnsLookup ResolverFor(string network) => (name, type) =>
    {
        var suffix = "." + network;
        if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) name = name[..^suffix.Length];
        var matches = Store.ListLeases(network)
            .Where(l => string.Equals(l.Hostname, name, StringComparison.OrdinalIgnoreCase)
                     || string.Equals(l.InstanceId, name, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (matches.Count == 0) return null;
        // Only IPv4 leases exist today: AAAA (and other types) get "no data", not NXDOMAIN.
        return type == DnsMessage.TypeA ? matches.Select(l => l.Address).Distinct().ToList() : (IReadOnlyList<IPAddress>)[];
    };

    /// <summary>
    /// Starts the network's DNS responder on its gateway address, port 53. <paramref name="shared"/>
    /// binds with SO_REUSEPORT (one per process hosting an instance); other names are forwarded to
    /// the host's resolvers unless the network is internal.
    /// </summary>
    public DnsServer StartDns(string network, int port = 53, bool shared = false)
    {
        var record = Get(network);
        EnsureUp(record);
        return DnsServer.Start(record.Gateway, ResolverFor(network), port, shared, record.Internal ? [] : HostResolvers());
    }

    /// <summary>The host's nameservers from /etc/resolv.conf (loopback ones work: the forwarder runs on the host).</summary>
    public static IReadOnlyList<IPEndPoint> HostResolvers(string path = "/etc/resolv.conf")
    {
        if (!File.Exists(path)) return [];
        return File.ReadLines(path)
            .Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 2 && f[0] == "nameserver" && IPAddress.TryParse(f[1], out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            .Select(f => new IPEndPoint(IPAddress.Parse(f[1]), 53))
            .ToList();
    }

    /// <summary>The /etc/resolv.conf for an instance with this attachment.</summary>
    public static string ResolvConfFor(Attachment attachment) => ResolvConf.Generate(attachment.Nameserver);
}

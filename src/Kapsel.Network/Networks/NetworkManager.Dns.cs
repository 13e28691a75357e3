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

    /// <summary>Starts the network's DNS responder on its gateway address, port 53.</summary>
    public DnsServer StartDns(string network, int port = 53)
    {
        var record = Get(network);
        EnsureUp(record);
        return DnsServer.Start(record.Gateway, ResolverFor(network), port);
    }

    /// <summary>The /etc/resolv.conf for an instance with this attachment.</summary>
    public static string ResolvConfFor(Attachment attachment) => ResolvConf.Generate(attachment.Nameserver);
}

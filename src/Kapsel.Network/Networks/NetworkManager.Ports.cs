using System.Net;
using Kapsel.Network.Firewall;
using Kapsel.Network.Ports;

namespace Kapsel.Network.Networks;

/// <summary>Published ports: DNAT in the kernel, a userland forwarder for loopback.</summary>
public sealed partial class NetworkManager
{
    /// <summary>
    /// Publishes ports of an attachment. Each port first gets its userland forwarder bound on
    /// [HostIp|0.0.0.0]:HostPort (this reserves the port: a taken one fails here, before any rule
    /// exists), then one DNAT rule per port catches traffic to the local address(es) it names —
    /// from other hosts (prerouting, never for 127/8) and from the host itself (output, loopback
    /// included, masqueraded into the bridge) — keeping other hosts' client addresses. The
    /// forwarder serves what DNAT cannot (a bridge without route_localnet).
    /// </summary>
    public PublishedPorts Publish(Attachment attachment, IReadOnlyList<PortMapping> ports, bool userlandForwarder = true)
    {
        var network = Get(attachment.Network);
        if (network.Internal && ports.Count > 0)
            throw new NetworkException($"cannot publish ports on internal network \"{network.Name}\"");
        var duplicate = ports.GroupBy(p => (p.HostPort, p.Protocol)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new NetworkException($"host port {duplicate.Key.HostPort}/{duplicate.First().ProtocolName} is published twice");
        var forwarders = new List<PortForwarder>();
        try
        {
            if (userlandForwarder)
                foreach (var p in ports) forwarders.Add(PortForwarder.Start(p, attachment.IPAddress));
            var rules = ports
                .Select(p => new DnatRule(p.ProtocolName, p.HostIp, p.HostPort, attachment.IPAddress, p.ContainerPort))
                .ToList();
            Firewall.AddPortRules(attachment.LeaseId, rules);
        }
        catch
        {
            foreach (var f in forwarders) f.Dispose();
            throw;
        }
        return new PublishedPorts(forwarders, () => Firewall.RemovePortRules([attachment.LeaseId]));
    }
}

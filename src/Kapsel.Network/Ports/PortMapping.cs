using System.Globalization;
using System.Net;
using Kapsel.Network.Ipam;
using Kapsel.Network.Networks;

namespace Kapsel.Network.Ports;

public enum PortProtocol { Tcp, Udp }

/// <summary>A published port, `-p [IP:]HOST:CTR[/tcp|udp]`. HostIp null means all host addresses.</summary>
public readonly record struct PortMapping(IPAddress? HostIp, int HostPort, int ContainerPort, PortProtocol Protocol)
{
    public string ProtocolName => Protocol == PortProtocol.Tcp ? "tcp" : "udp";

    public static PortMapping Parse(string text)
    {
        var spec = text;
        var protocol = PortProtocol.Tcp;
        var slash = spec.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = spec[(slash + 1)..].ToLowerInvariant() switch
            {
                "tcp" => PortProtocol.Tcp,
                "udp" => PortProtocol.Udp,
                var p => throw new NetworkException($"invalid port mapping \"{text}\": protocol \"{p}\" is not tcp or udp"),
            };
            spec = spec[..slash];
        }
        var parts = spec.Split(':');
        if (parts.Length is < 2 or > 3)
            throw new NetworkException($"invalid port mapping \"{text}\": expected [IP:]HOST:CONTAINER[/tcp|udp]");
        IPAddress? hostIp = null;
        if (parts.Length == 3)
        {
            try { hostIp = Ipv4.ParseAddress(parts[0], "host address"); }
            catch (NetworkException) { throw new NetworkException($"invalid port mapping \"{text}\": host address \"{parts[0]}\" is not an IPv4 address"); }
        }
        return new PortMapping(hostIp, Port(parts[^2], text), Port(parts[^1], text), protocol);
    }

    private static int Port(string s, string text) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535
            ? p : throw new NetworkException($"invalid port mapping \"{text}\": \"{s}\" is not a port (1-65535)");

    public override string ToString() =>
        $"{(HostIp is { } ip ? $"{ip}:" : "")}{HostPort}:{ContainerPort}/{ProtocolName}";
}

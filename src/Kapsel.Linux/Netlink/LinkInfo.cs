using System.Net.NetworkInformation;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// One network interface as rtnetlink reports it. Kind is IFLA_INFO_KIND ("bridge", "veth",
/// "tun", ...; null for physical devices and lo). MasterIndex is the bridge a port is attached to.
/// Alias is IFLA_IFALIAS (`ip link set X alias TEXT`; Kapsel records a link's owner there).
/// </summary>
public sealed record LinkInfo(
    int Index,
    string Name,
    string? Kind,
    int Mtu,
    PhysicalAddress? MacAddress,
    uint Flags,
    string OperState,
    int? MasterIndex,
    LinkStatistics? Statistics,
    string? Alias = null)
{
    /// <summary>Administratively up (IFF_UP).</summary>
    public bool IsUp => (Flags & LinkMessage.IFF_UP) != 0;

    /// <summary>The driver signals carrier (IFF_LOWER_UP).</summary>
    public bool HasCarrier => (Flags & LinkMessage.IFF_LOWER_UP) != 0;

    // IF_OPER_* (RFC 2863) as `ip` prints them.
    internal static string OperStateName(byte? state) => state switch
    {
        1 => "NOTPRESENT", 2 => "DOWN", 3 => "LOWERLAYERDOWN", 4 => "TESTING", 5 => "DORMANT", 6 => "UP",
        _ => "UNKNOWN",
    };
}

namespace Kapsel.Network.Networks;

/// <summary>
/// net.ipv4.ip_forward: routed traffic between a bridge and the world (outbound NAT, published
/// ports reached from other hosts, and — to be dropped — traffic between two Kapsel bridges)
/// needs it. It is host-wide, so Kapsel only ever turns it on, and says so.
/// </summary>
public static class IpForwarding
{
    public const string Ipv4Path = "/proc/sys/net/ipv4/ip_forward";

    public static bool IsEnabled => File.ReadAllText(Ipv4Path).Trim() == "1";

    /// <summary>Turns it on; true if it was off.</summary>
    public static bool Enable()
    {
        if (IsEnabled) return false;
        File.WriteAllText(Ipv4Path, "1\n");
        return true;
    }

    /// <summary>For tests that restore the host as they found it.</summary>
    public static void Set(bool enabled) => File.WriteAllText(Ipv4Path, enabled ? "1\n" : "0\n");
}

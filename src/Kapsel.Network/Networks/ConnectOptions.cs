namespace Kapsel.Network.Networks;

/// <summary>Per-attachment choices: the DNS name (default: the instance id), the interface name inside, the MTU (default: the network's).</summary>
public sealed record ConnectOptions
{
    public string? Hostname { get; init; }
    public string InterfaceName { get; init; } = "eth0";
    public int? Mtu { get; init; }
}

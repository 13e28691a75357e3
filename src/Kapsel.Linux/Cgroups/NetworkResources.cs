namespace Kapsel.Linux.Cgroups;

/// <summary>v1 net_cls / net_prio settings; ignored with a warning where those are not mounted (and on v2).</summary>
public sealed record NetworkResources
{
    public uint? ClassId { get; init; }
    public IReadOnlyList<NetworkInterfacePriority>? Priorities { get; init; }
}

public sealed record NetworkInterfacePriority(string Interface, uint Priority);

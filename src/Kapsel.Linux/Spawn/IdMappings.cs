namespace Kapsel.Linux.Spawn;

/// <summary>One uid_map/gid_map line: ids [ContainerId, ContainerId+Size) map to [HostId, HostId+Size).</summary>
public readonly record struct IdMapping(uint ContainerId, uint HostId, uint Size)
{
    public override string ToString() => $"{ContainerId} {HostId} {Size}";
}

/// <summary>The uid and gid maps of a new user namespace, written by the parent during the spawn handshake.</summary>
public sealed record IdMappings(IReadOnlyList<IdMapping> Uids, IReadOnlyList<IdMapping> Gids, bool DenySetgroups = false)
{
    public static string Render(IEnumerable<IdMapping> maps) => string.Concat(maps.Select(m => m + "\n"));

    /// <summary>Container id → host id under a map, or null if unmapped.</summary>
    public static uint? ToHost(IReadOnlyList<IdMapping> maps, uint containerId)
    {
        foreach (var m in maps)
            if (containerId >= m.ContainerId && containerId - m.ContainerId < m.Size)
                return m.HostId + (containerId - m.ContainerId);
        return null;
    }
}

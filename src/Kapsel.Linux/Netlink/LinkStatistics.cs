namespace Kapsel.Linux.Netlink;

/// <summary>Counters from IFLA_STATS64 (struct rtnl_link_stats64, first eight fields).</summary>
public sealed record LinkStatistics(
    ulong RxPackets, ulong TxPackets, ulong RxBytes, ulong TxBytes,
    ulong RxErrors, ulong TxErrors, ulong RxDropped, ulong TxDropped)
{
    internal static LinkStatistics? Parse(ReadOnlySpan<byte> stats64)
    {
        if (stats64.Length < 64) return null;
        Span<ulong> f = stackalloc ulong[8];
        for (var i = 0; i < 8; i++) f[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(stats64[(i * 8)..]);
        return new LinkStatistics(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
    }
}

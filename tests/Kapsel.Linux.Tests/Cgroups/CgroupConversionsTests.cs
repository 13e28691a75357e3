using Kapsel.Linux.Cgroups;

namespace Kapsel.Linux.Tests.Cgroups;

public sealed class CgroupConversionsTests
{
    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(2UL, 1UL)]
    [InlineData(1024UL, 100UL)]
    [InlineData(262144UL, 10000UL)]
    [InlineData(1_000_000UL, 10000UL)]
    public void CpuSharesMapToWeightWithDefaultsAligned(ulong shares, ulong weight) =>
        Assert.Equal(weight, CgroupConversions.CpuSharesToWeight(shares));

    [Fact]
    public void CpuWeightIsMonotonic()
    {
        ulong previous = 0;
        for (ulong shares = 2; shares <= 262144; shares += 97)
        {
            var w = CgroupConversions.CpuSharesToWeight(shares);
            Assert.InRange(w, previous, 10000UL);
            previous = w;
        }
    }

    [Theory]
    [InlineData(10UL, 1UL)]
    [InlineData(500UL, 4950UL)]
    [InlineData(1000UL, 10000UL)]
    public void BlkioWeightMapsToIoWeight(ulong weight, ulong ioWeight) =>
        Assert.Equal(ioWeight, CgroupConversions.BlkioWeightToIoWeight(weight));

    [Theory]
    [InlineData(100L, 300L, 200L)]   // memsw 300 = 100 memory + 200 swap
    [InlineData(100L, 100L, 0L)]     // no swap at all
    [InlineData(100L, -1L, -1L)]     // unlimited swap
    [InlineData(-1L, null, -1L)]     // unlimited memory, swap unset: both unlimited (v1 behaviour)
    public void MemorySwapIsSwapAloneOnV2(long limit, long? swap, long? expected) =>
        Assert.Equal(expected, CgroupConversions.MemorySwapToV2(swap, limit));

    [Fact]
    public void MemorySwapUnsetLeavesV2Alone() => Assert.Null(CgroupConversions.MemorySwapToV2(null, 100));

    [Fact]
    public void MemorySwapBelowLimitOrWithoutLimitFails()
    {
        Assert.Throws<CgroupException>(() => CgroupConversions.MemorySwapToV2(50, 100));
        Assert.Throws<CgroupException>(() => CgroupConversions.MemorySwapToV2(300, null));
    }

    [Theory]
    [InlineData(50000L, 100000UL, "50000 100000")]
    [InlineData(-1L, 100000UL, "max 100000")]
    [InlineData(null, 250000UL, "max 250000")]
    [InlineData(20000L, null, "20000")]
    [InlineData(null, null, null)]
    public void CpuMaxLine(long? quota, ulong? period, string? expected) =>
        Assert.Equal(expected, CgroupConversions.CpuMax(quota, period));

    [Fact]
    public void DeviceRulesRenderInV1Syntax()
    {
        Assert.Equal("a *:* rwm", DeviceRule.DenyAll.ToV1String());
        Assert.Equal("c 1:3 rw", new DeviceRule(true, 'c', 1, 3, "rw").ToV1String());
        Assert.Equal("b 8:* m", new DeviceRule(true, 'b', 8, null, "m").ToV1String());
    }
}

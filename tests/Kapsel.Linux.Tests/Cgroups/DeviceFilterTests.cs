using Kapsel.Linux.Cgroups;

namespace Kapsel.Linux.Tests.Cgroups;

/// <summary>The eBPF generator's shape; the kernel's verdict on it is in <see cref="CgroupV2OnThisHostTests"/>.</summary>
public sealed class DeviceFilterTests
{
    private const int Prologue = 6;

    [Fact]
    public void NoRulesAllowsEverything()
    {
        var program = DeviceFilter.Generate([]);
        Assert.Equal(Prologue + 2, program.Length);
        Assert.Equal(1, program[^2].Immediate);
        Assert.Equal(0x95, program[^1].Code);
    }

    [Fact]
    public void DenyAllEndsTheProgramWithoutADefault()
    {
        var program = DeviceFilter.Generate([DeviceRule.DenyAll]);
        Assert.Equal(Prologue + 2, program.Length);
        Assert.Equal(0, program[^2].Immediate);
    }

    [Fact]
    public void RulesAreCheckedLastFirstWithJumpsToTheNextRule()
    {
        var program = DeviceFilter.Generate([DeviceRule.DenyAll, new DeviceRule(true, 'c', 1, 3, "rwm")]);
        // allow c 1:3 rwm: type, major, minor checks, verdict, exit; then deny-all: verdict, exit.
        Assert.Equal(Prologue + 5 + 2, program.Length);
        var typeCheck = program[Prologue];
        Assert.True(typeCheck.IsConditionalJump);
        Assert.Equal(DeviceFilter.DeviceTypeChar, typeCheck.Immediate);
        Assert.Equal(4, typeCheck.Offset); // to the deny-all rule
        Assert.Equal(1, program[Prologue + 3].Immediate);
        Assert.Equal(0, program[^2].Immediate);
    }

    [Fact]
    public void PartialAccessAddsAMaskCheck()
    {
        var program = DeviceFilter.Generate([new DeviceRule(false, 'b', 8, null, "w")]);
        // type, mov, and, jump-if-no-denied-bit, major, verdict, exit, default allow (2)
        Assert.Equal(Prologue + 7 + 2, program.Length);
        Assert.Equal(DeviceFilter.AccessWrite, program[Prologue + 2].Immediate);
    }

    [Fact]
    public void RejectsBadRules()
    {
        Assert.Throws<ArgumentException>(() => DeviceFilter.Generate([new DeviceRule(true, 'x')]));
        Assert.Throws<ArgumentException>(() => DeviceFilter.Generate([new DeviceRule(true, 'c', 1, 3, "rq")]));
    }
}

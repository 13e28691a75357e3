namespace Kapsel.Linux.Cgroups;

public enum CgroupFreezerState
{
    Thawed,
    Freezing,
    Frozen,
}

namespace Kapsel.Linux.Cgroups;

/// <summary>A hugetlb limit in bytes for one page size, named as the kernel does ("2MB", "1GB").</summary>
public sealed record HugepageLimit(string PageSize, ulong Limit);

namespace Kapsel.Linux.Cgroups;

/// <summary>Task count limit. Limit ≤ 0 means unlimited ("max"), as runc treats it.</summary>
public sealed record PidsResources(long Limit);

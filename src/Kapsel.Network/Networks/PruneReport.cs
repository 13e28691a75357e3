namespace Kapsel.Network.Networks;

/// <summary>What <see cref="NetworkManager.Prune"/> removed, each entry a short description.</summary>
public sealed record PruneReport(
    IReadOnlyList<string> Networks,
    IReadOnlyList<string> Leases,
    IReadOnlyList<string> Links,
    IReadOnlyList<string> RuleSets)
{
    public bool IsEmpty => Networks.Count + Leases.Count + Links.Count + RuleSets.Count == 0;

    public override string ToString() =>
        IsEmpty ? "nothing to prune" : string.Join("; ", new[]
        {
            Networks.Count > 0 ? $"networks: {string.Join(", ", Networks)}" : null,
            Leases.Count > 0 ? $"leases: {string.Join(", ", Leases)}" : null,
            Links.Count > 0 ? $"links: {string.Join(", ", Links)}" : null,
            RuleSets.Count > 0 ? $"nft: {string.Join(", ", RuleSets)}" : null,
        }.Where(s => s is not null));
}

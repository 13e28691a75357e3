namespace Kapsel.Network.Networks;

/// <summary>
/// A host object Kapsel made that no existing state knows about: Kind ("link", "nft table",
/// "nft chains", "cgroup", "mount"), its name, and why it counts as an orphan. Unowned ones
/// (no owner recorded: an older Kapsel's, or a test's own names) are only removed on request.
/// </summary>
public sealed record HostOrphan(string Kind, string Name, string Reason, bool Unowned = false)
{
    public override string ToString() => $"{Kind} {Name}: {Reason}";
}

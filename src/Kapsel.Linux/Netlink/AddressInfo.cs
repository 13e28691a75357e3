namespace Kapsel.Linux.Netlink;

/// <summary>
/// An address assigned to an interface. Scope is RT_SCOPE_* (0 global, 253 link, 254 host);
/// Flags are IFA_F_* (e.g. 0x40 tentative while IPv6 duplicate address detection runs).
/// </summary>
public sealed record AddressInfo(int InterfaceIndex, InterfaceAddress Address, string? Label, byte Scope, uint Flags)
{
    public bool IsTentative => (Flags & AddressMessage.IFA_F_TENTATIVE) != 0;
    /// <summary>Configured, not made by the kernel (autoconfiguration) or with a lifetime.</summary>
    public bool IsPermanent => (Flags & AddressMessage.IFA_F_PERMANENT) != 0;
}

using System.Runtime.InteropServices;

namespace Kapsel.Linux.Netlink;

/// <summary>struct ifaddrmsg and the address attributes (linux/if_addr.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AddressMessage
{
    public byte Family;
    public byte PrefixLength;
    public byte Flags;
    public byte Scope;
    public int Index;

    public const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_BROADCAST = 4, IFA_FLAGS = 8;

    public const uint IFA_F_NODAD = 0x02, IFA_F_TENTATIVE = 0x40, IFA_F_PERMANENT = 0x80;
}

using System.Runtime.InteropServices;

namespace Kapsel.Linux.Netlink;

/// <summary>struct ifinfomsg and the link attributes we use (linux/if_link.h, linux/veth.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinkMessage
{
    public byte Family;
    public byte Pad;
    public ushort Type;
    public int Index;
    public uint Flags;
    public uint Change;

    public const byte AF_UNSPEC = 0, AF_BRIDGE = 7;

    // Interface flags (linux/if.h).
    public const uint IFF_UP = 0x1, IFF_LOOPBACK = 0x8, IFF_LOWER_UP = 0x10000;

    // enum IFLA_*.
    public const ushort IFLA_ADDRESS = 1, IFLA_BROADCAST = 2, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_LINK = 5,
        IFLA_MASTER = 10, IFLA_PROTINFO = 12, IFLA_TXQLEN = 13, IFLA_OPERSTATE = 16, IFLA_LINKINFO = 18,
        IFLA_NET_NS_PID = 19, IFLA_IFALIAS = 20, IFLA_STATS64 = 23, IFLA_NET_NS_FD = 28, IFLA_LINK_NETNSID = 37;

    // Nested in IFLA_LINKINFO.
    public const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, IFLA_INFO_SLAVE_KIND = 4, IFLA_INFO_SLAVE_DATA = 5;

    // Nested in IFLA_INFO_DATA of a veth: an ifinfomsg followed by the peer's IFLA_* attributes.
    public const ushort VETH_INFO_PEER = 1;

    // Nested in IFLA_PROTINFO of an AF_BRIDGE message (bridge port settings).
    public const ushort IFLA_BRPORT_MODE = 4 /* hairpin */, IFLA_BRPORT_LEARNING = 8,
        IFLA_BRPORT_UNICAST_FLOOD = 9, IFLA_BRPORT_ISOLATED = 33;
}

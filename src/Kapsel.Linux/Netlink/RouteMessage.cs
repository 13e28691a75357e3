using System.Runtime.InteropServices;

namespace Kapsel.Linux.Netlink;

/// <summary>struct rtmsg and the route attributes and enums (linux/rtnetlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RouteMessage
{
    public byte Family;
    public byte DestinationLength;
    public byte SourceLength;
    public byte Tos;
    public byte Table;
    public byte Protocol;
    public byte Scope;
    public byte Type;
    public uint Flags;

    public const ushort RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6, RTA_PREFSRC = 7,
        RTA_TABLE = 15;

    public const byte RT_TABLE_UNSPEC = 0, RT_TABLE_MAIN = 254, RT_TABLE_LOCAL = 255;
    public const byte RTPROT_UNSPEC = 0, RTPROT_KERNEL = 2, RTPROT_BOOT = 3, RTPROT_STATIC = 4;
    public const byte RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254, RT_SCOPE_NOWHERE = 255;
    public const byte RTN_UNICAST = 1;

    /// <summary>rtm_flags / rtnh_flags: the gateway is reachable on the link even outside its subnets.</summary>
    public const uint RTNH_F_ONLINK = 4;
}

namespace Kapsel.Linux.Netlink;

/// <summary>rtnetlink message types (linux/rtnetlink.h).</summary>
internal static class RtnlMessageType
{
    public const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_SETLINK = 19;
    public const ushort RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26;
}

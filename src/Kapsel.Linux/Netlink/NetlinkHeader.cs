using System.Runtime.InteropServices;

namespace Kapsel.Linux.Netlink;

/// <summary>struct nlmsghdr, the control message types and the request/reply flags (linux/netlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NetlinkHeader
{
    public const int Size = 16;

    // Control message types.
    public const ushort NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4;

    // Request flags.
    public const ushort NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    // Modifiers of NEW requests.
    public const ushort NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400, NLM_F_APPEND = 0x800;
    // Flags of an NLMSG_ERROR reply.
    public const ushort NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;

    // Extended ack attributes after struct nlmsgerr (enum nlmsgerr_attrs).
    public const ushort NLMSGERR_ATTR_MSG = 1, NLMSGERR_ATTR_OFFS = 2;

    public uint Length;
    public ushort Type;
    public ushort Flags;
    public uint Sequence;
    public uint PortId;

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: netlink pads everything to 4 bytes.</summary>
    public static int Align(int length) => (length + 3) & ~3;
}

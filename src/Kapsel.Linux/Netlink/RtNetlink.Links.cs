using System.Net.NetworkInformation;
using Kapsel.Linux;
using static Kapsel.Linux.Netlink.LinkMessage;
using static Kapsel.Linux.Netlink.NetlinkHeader;
using static Kapsel.Linux.Netlink.RtnlMessageType;

namespace Kapsel.Linux.Netlink;

/// <summary>Links: list, look up, create (bridge, veth), delete and change.</summary>
public sealed partial class RtNetlink
{
    public IReadOnlyList<LinkInfo> ListLinks()
    {
        var request = new NetlinkMessageWriter(RTM_GETLINK, NLM_F_DUMP).Write(new LinkMessage());
        return Dump(request, "list links").Where(m => m.Type == RTM_NEWLINK).Select(ParseLink).ToList();
    }

    /// <summary>The link, or a <see cref="NetlinkException"/> with ENODEV if there is none.</summary>
    public LinkInfo GetLink(LinkSelector link)
    {
        var request = Select(new NetlinkMessageWriter(RTM_GETLINK, 0), link);
        var reply = Request(request, $"get link {link}").FirstOrDefault(m => m.Type == RTM_NEWLINK);
        return reply.Payload.IsEmpty
            ? throw new NetlinkException($"get link {link}", Errnos.ENODEV, "no RTM_NEWLINK in the reply")
            : ParseLink(reply);
    }

    /// <summary>The link, or null if there is none.</summary>
    public LinkInfo? FindLink(LinkSelector link)
    {
        try { return GetLink(link); }
        catch (NetlinkException e) when (e.Errno == Errnos.ENODEV) { return null; }
    }

    public void CreateBridge(string name, int? mtu = null)
    {
        var request = NewLink(name, mtu);
        var info = request.BeginNested(IFLA_LINKINFO);
        request.Attribute(IFLA_INFO_KIND, "bridge");
        request.EndNested(info);
        Request(request, $"create bridge \"{name}\"");
    }

    /// <summary>
    /// Creates a veth pair. With <paramref name="peerNamespace"/> the peer is born directly in that
    /// namespace (no window where it is visible on the host).
    /// </summary>
    public void CreateVeth(string name, string peerName, NetworkNamespaceRef? peerNamespace = null, int? mtu = null)
    {
        _ = LinkSelector.ByName(peerName); // validates the name
        var request = NewLink(name, mtu);
        var info = request.BeginNested(IFLA_LINKINFO);
        request.Attribute(IFLA_INFO_KIND, "veth");
        var data = request.BeginNested(IFLA_INFO_DATA);
        var peer = request.BeginNested(VETH_INFO_PEER);
        request.Write(new LinkMessage()).Attribute(IFLA_IFNAME, peerName);
        if (mtu is { } m) request.Attribute(IFLA_MTU, (uint)m);
        if (peerNamespace is { } ns) AddNamespace(request, ns);
        request.EndNested(peer).EndNested(data).EndNested(info);
        Request(request, $"create veth \"{name}\" peer \"{peerName}\"{(peerNamespace is { } n ? $" in {n}" : "")}");
    }

    /// <summary>Deletes a link (for a veth, both ends go). A missing link throws with ENODEV.</summary>
    public void DeleteLink(LinkSelector link) =>
        Request(Select(new NetlinkMessageWriter(RTM_DELLINK, 0), link), $"delete link {link}");

    public void SetUp(LinkSelector link) => ChangeFlags(link, IFF_UP, IFF_UP, "up");

    public void SetDown(LinkSelector link) => ChangeFlags(link, 0, IFF_UP, "down");

    /// <summary>Containers need their own lo up: a fresh network namespace has it down.</summary>
    public void BringUpLoopback() => SetUp("lo");

    public void SetMtu(LinkSelector link, int mtu) =>
        Request(Select(new NetlinkMessageWriter(RTM_SETLINK, 0), link).Attribute(IFLA_MTU, (uint)mtu),
            $"set link {link} mtu {mtu}");

    public void SetMacAddress(LinkSelector link, PhysicalAddress mac) =>
        Request(Select(new NetlinkMessageWriter(RTM_SETLINK, 0), link).Attribute(IFLA_ADDRESS, mac.GetAddressBytes()),
            $"set link {link} address {FormatMac(mac)}");

    /// <summary>Sets the link's alias (IFLA_IFALIAS, at most 255 bytes; empty removes it).</summary>
    public void SetAlias(LinkSelector link, string alias)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(alias) > 255) throw new ArgumentException("a link alias is at most 255 bytes", nameof(alias));
        Request(Select(new NetlinkMessageWriter(RTM_SETLINK, 0), link).Attribute(IFLA_IFALIAS, alias),
            $"set link {link} alias \"{alias}\"");
    }

    /// <summary>Attaches a link to a bridge (IFLA_MASTER).</summary>
    public void SetMaster(LinkSelector link, LinkSelector bridge)
    {
        var bridgeIndex = ResolveIndex(bridge);
        Request(Select(new NetlinkMessageWriter(RTM_SETLINK, 0), link).Attribute(IFLA_MASTER, (uint)bridgeIndex),
            $"set link {link} master {bridge}");
    }

    /// <summary>Detaches a link from its bridge (IFLA_MASTER 0).</summary>
    public void RemoveMaster(LinkSelector link) =>
        Request(Select(new NetlinkMessageWriter(RTM_SETLINK, 0), link).Attribute(IFLA_MASTER, 0u),
            $"set link {link} nomaster");

    /// <summary>Renames a link; the kernel refuses (EBUSY) while it is up.</summary>
    public void Rename(LinkSelector link, string newName)
    {
        _ = LinkSelector.ByName(newName);
        var index = ResolveIndex(link);
        var request = new NetlinkMessageWriter(RTM_SETLINK, 0)
            .Write(new LinkMessage { Index = index })
            .Attribute(IFLA_IFNAME, newName);
        Request(request, $"rename link {link} to \"{newName}\"");
    }

    /// <summary>Moves a link into another network namespace; it goes down and keeps its name.</summary>
    public void MoveToNamespace(LinkSelector link, NetworkNamespaceRef target)
    {
        var request = Select(new NetlinkMessageWriter(RTM_SETLINK, 0), link);
        AddNamespace(request, target);
        Request(request, $"move link {link} to {target}");
    }

    /// <summary>
    /// Moves a link into another network namespace and renames it there, in one request. The kernel
    /// moves first and renames after: if the name is taken in the target, the request fails with
    /// the link already moved under its old name (callers check the name is free first).
    /// </summary>
    public void MoveToNamespace(LinkSelector link, NetworkNamespaceRef target, string newName)
    {
        _ = LinkSelector.ByName(newName);
        var request = new NetlinkMessageWriter(RTM_SETLINK, 0)
            .Write(new LinkMessage { Index = ResolveIndex(link) })
            .Attribute(IFLA_IFNAME, newName);
        AddNamespace(request, target);
        Request(request, $"move link {link} to {target} as \"{newName}\"");
    }

    private void ChangeFlags(LinkSelector link, uint flags, uint mask, string what)
    {
        var request = new NetlinkMessageWriter(RTM_SETLINK, 0)
            .Write(new LinkMessage { Index = link.Index, Flags = flags, Change = mask });
        if (link.Name is { } name) request.Attribute(IFLA_IFNAME, name);
        Request(request, $"set link {link} {what}");
    }

    private int ResolveIndex(LinkSelector link) => link.Name is null ? link.Index : GetLink(link).Index;

    private static NetlinkMessageWriter NewLink(string name, int? mtu)
    {
        _ = LinkSelector.ByName(name);
        var request = new NetlinkMessageWriter(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
            .Write(new LinkMessage())
            .Attribute(IFLA_IFNAME, name);
        if (mtu is { } m) request.Attribute(IFLA_MTU, (uint)m);
        return request;
    }

    /// <summary>Starts a link request addressed by index, or by IFLA_IFNAME (the kernel looks names up).</summary>
    private static NetlinkMessageWriter Select(NetlinkMessageWriter request, LinkSelector link)
    {
        request.Write(new LinkMessage { Index = link.Index });
        if (link.Name is { } name) request.Attribute(IFLA_IFNAME, name);
        return request;
    }

    private static void AddNamespace(NetlinkMessageWriter request, NetworkNamespaceRef ns)
    {
        if (ns.IsFd) request.Attribute(IFLA_NET_NS_FD, (uint)ns.Fd);
        else request.Attribute(IFLA_NET_NS_PID, (uint)ns.Pid);
    }

    private static LinkInfo ParseLink(NetlinkMessage message)
    {
        var header = message.Header<LinkMessage>();
        var attributes = message.Attributes<LinkMessage>();
        var kind = attributes.Nested(IFLA_LINKINFO)?.String(IFLA_INFO_KIND);
        PhysicalAddress? mac = attributes.TryGet(IFLA_ADDRESS, out var a) ? new PhysicalAddress(a.ToArray()) : null;
        var master = attributes.UInt32(IFLA_MASTER);
        var stats = attributes.TryGet(IFLA_STATS64, out var s) ? LinkStatistics.Parse(s.Span) : null;
        return new LinkInfo(
            header.Index,
            attributes.String(IFLA_IFNAME) ?? "",
            kind,
            (int)(attributes.UInt32(IFLA_MTU) ?? 0),
            mac,
            header.Flags,
            LinkInfo.OperStateName(attributes.UInt8(IFLA_OPERSTATE)),
            master is > 0 ? (int)master : null,
            stats,
            attributes.String(IFLA_IFALIAS) is { Length: > 0 } alias ? alias : null);
    }

    private static string FormatMac(PhysicalAddress mac) =>
        string.Join(":", mac.GetAddressBytes().Select(b => b.ToString("x2")));
}

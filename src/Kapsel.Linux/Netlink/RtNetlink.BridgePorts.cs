using static Kapsel.Linux.Netlink.LinkMessage;
using static Kapsel.Linux.Netlink.RtnlMessageType;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// Bridge port settings (IFLA_PROTINFO of an AF_BRIDGE message, as `bridge link set` does):
/// isolation keeps ports of one bridge from talking to each other (only to non-isolated ports,
/// e.g. the uplink); hairpin lets a frame go back out of the port it came in on.
/// </summary>
public sealed partial class RtNetlink
{
    public void SetBridgePortIsolated(LinkSelector port, bool isolated) =>
        SetBridgePortFlag(port, IFLA_BRPORT_ISOLATED, isolated, "isolated");

    public void SetBridgePortHairpin(LinkSelector port, bool hairpin) =>
        SetBridgePortFlag(port, IFLA_BRPORT_MODE, hairpin, "hairpin");

    public void SetBridgePortLearning(LinkSelector port, bool learning) =>
        SetBridgePortFlag(port, IFLA_BRPORT_LEARNING, learning, "learning");

    private void SetBridgePortFlag(LinkSelector port, ushort attribute, bool on, string what)
    {
        // The bridge's setlink handler finds the port by index only.
        var index = ResolveIndex(port);
        var request = new NetlinkMessageWriter(RTM_SETLINK, 0)
            .Write(new LinkMessage { Family = AF_BRIDGE, Index = index });
        var protinfo = request.BeginNested(IFLA_PROTINFO); // NLA_F_NESTED tells the bridge it is the nested form
        request.Attribute(attribute, on ? (byte)1 : (byte)0);
        request.EndNested(protinfo);
        Request(request, $"set bridge port {port} {what} {(on ? "on" : "off")}");
    }
}

using System.Buffers.Binary;
using System.Net;
using Kapsel.Linux.Netlink;

namespace Kapsel.Network.Tests.Netlink;

/// <summary>Wire format without a kernel: header, padding, nesting, attribute parsing.</summary>
public sealed class NetlinkMessageTests
{
    [Fact]
    public void WriterLaysOutHeaderStructAndPaddedAttributes()
    {
        var bytes = new NetlinkMessageWriter(RtnlMessageType.RTM_NEWLINK, NetlinkHeader.NLM_F_CREATE)
            .Write(new LinkMessage { Index = 7 })
            .Attribute(LinkMessage.IFLA_IFNAME, "abc") // 4 header + 4 ("abc\0") = 8
            .Attribute(LinkMessage.IFLA_MTU, 1400u)    // 8
            .ToArray();

        Assert.Equal(16 + 16 + 8 + 8, bytes.Length);
        Assert.Equal((uint)bytes.Length, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(RtnlMessageType.RTM_NEWLINK, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(NetlinkHeader.NLM_F_CREATE | NetlinkHeader.NLM_F_REQUEST, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6)));
        Assert.Equal(7, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16 + 4)));
        Assert.Equal(8, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(32)));
        Assert.Equal("abc\0"u8.ToArray(), bytes.AsSpan(36, 4).ToArray());
        Assert.Equal(1400u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(44)));
    }

    [Fact]
    public void NestedAttributesRoundTrip()
    {
        var writer = new NetlinkMessageWriter(RtnlMessageType.RTM_NEWLINK, 0).Write(new LinkMessage());
        var info = writer.BeginNested(LinkMessage.IFLA_LINKINFO);
        writer.Attribute(LinkMessage.IFLA_INFO_KIND, "veth"); // 4 + 5 → padded to 12
        var data = writer.BeginNested(LinkMessage.IFLA_INFO_DATA);
        writer.Attribute(7, (byte)1);
        writer.EndNested(data).EndNested(info);
        writer.Attribute(LinkMessage.IFLA_ADDRESS, IPAddress.Parse("10.213.0.1"));
        var bytes = writer.ToArray();

        var message = Assert.Single(NetlinkMessage.Split(bytes));
        var attributes = message.Attributes<LinkMessage>();
        var linkInfo = attributes.Nested(LinkMessage.IFLA_LINKINFO)!;
        Assert.Equal("veth", linkInfo.String(LinkMessage.IFLA_INFO_KIND));
        Assert.Equal((byte)1, linkInfo.Nested(LinkMessage.IFLA_INFO_DATA)!.UInt8(7));
        Assert.Equal(IPAddress.Parse("10.213.0.1"), attributes.Address(LinkMessage.IFLA_ADDRESS));
        // Nested attributes carry NLA_F_NESTED on the wire.
        Assert.Equal(0x8000 | LinkMessage.IFLA_LINKINFO, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(34)));
    }

    [Fact]
    public void SplitsADatagramHoldingSeveralMessages()
    {
        var a = new NetlinkMessageWriter(RtnlMessageType.RTM_NEWADDR, 0).Write(new AddressMessage { PrefixLength = 24 })
            .Attribute(AddressMessage.IFA_LABEL, "x").ToArray();
        var b = new NetlinkMessageWriter(NetlinkHeader.NLMSG_DONE, 0).Write(0).ToArray();
        var messages = NetlinkMessage.Split(a.Concat(b).ToArray());
        Assert.Equal(2, messages.Count);
        Assert.Equal(24, messages[0].Header<AddressMessage>().PrefixLength);
        Assert.Equal("x", messages[0].Attributes<AddressMessage>().String(AddressMessage.IFA_LABEL));
        Assert.Equal(NetlinkHeader.NLMSG_DONE, messages[1].Type);
    }

    [Fact]
    public void RejectsATruncatedMessage()
    {
        var bytes = new NetlinkMessageWriter(RtnlMessageType.RTM_NEWLINK, 0).Write(new LinkMessage()).ToArray();
        Assert.Throws<InvalidDataException>(() => NetlinkMessage.Split(bytes.AsMemory(0, 20)));
    }

    [Fact]
    public void SelectorsValidateNames()
    {
        LinkSelector byName = "kt1";
        LinkSelector byIndex = 3;
        Assert.Equal("kt1", byName.Name);
        Assert.Equal(3, byIndex.Index);
        Assert.Throws<ArgumentException>(() => LinkSelector.ByName("a-name-longer-than-15"));
        Assert.Equal(new InterfaceAddress(IPAddress.Parse("fd00::1"), 64), InterfaceAddress.Parse("fd00::1/64"));
    }
}

using System.Net;
using System.Net.Sockets;

namespace Kapsel.Linux.Netlink;

/// <summary>An interface address with its prefix length, e.g. 10.213.1.1/24 or fd00::1/64.</summary>
public readonly record struct InterfaceAddress(IPAddress Address, int PrefixLength)
{
    public static InterfaceAddress Parse(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0) throw new FormatException($"\"{text}\" is not ADDRESS/PREFIX");
        var address = IPAddress.Parse(text[..slash]);
        var prefix = int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return new InterfaceAddress(address, prefix);
    }

    public void Validate()
    {
        var max = Address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (Address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"{Address} is not an IPv4 or IPv6 address");
        if (PrefixLength < 0 || PrefixLength > max)
            throw new ArgumentException($"prefix length {PrefixLength} out of range for {Address}");
    }

    public override string ToString() => $"{Address}/{PrefixLength}";
}

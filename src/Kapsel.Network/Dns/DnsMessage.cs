using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Kapsel.Network.Dns;

/// <summary>The one question of a DNS query (RFC 1035 §4.1.2): a name, a type (1 A, 28 AAAA…) and a class.</summary>
public readonly record struct DnsQuestion(string Name, ushort Type, ushort Class);

/// <summary>
/// Just enough of the DNS wire format for an authoritative-only responder: parse a query with one
/// question, build an answer with A/AAAA records or an error code. No compression is read in
/// questions (queries never use it); answers point back to the question's name (0xC00C).
/// </summary>
public static class DnsMessage
{
    public const ushort TypeA = 1, TypeAaaa = 28, ClassIn = 1;
    public const int NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5;
    private const int HeaderSize = 12;

    /// <summary>The query's id and question, or null if this is not a one-question standard query we can answer.</summary>
    public static (ushort Id, DnsQuestion Question)? ParseQuery(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < HeaderSize) return null;
        var id = BinaryPrimitives.ReadUInt16BigEndian(packet);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if ((flags & 0x8000) != 0) return null; // a response, not a query
        if (BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) != 1) return null;
        var offset = HeaderSize;
        var name = new StringBuilder();
        while (true)
        {
            if (offset >= packet.Length) return null;
            int length = packet[offset++];
            if (length == 0) break;
            if (length > 63 || offset + length > packet.Length) return null; // compression pointers or garbage
            if (name.Length > 0) name.Append('.');
            name.Append(Encoding.ASCII.GetString(packet.Slice(offset, length)));
            offset += length;
        }
        if (offset + 4 > packet.Length) return null;
        var type = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
        return (id, new DnsQuestion(name.ToString(), type, @class));
    }

    /// <summary>Opcode of a packet (0 = standard query), for answering others with NOTIMP.</summary>
    public static int Opcode(ReadOnlySpan<byte> packet) => packet.Length >= 3 ? (packet[2] >> 3) & 0xF : -1;

    /// <summary>A query with one question (used by tests and by anything probing the responder).</summary>
    public static byte[] BuildQuery(ushort id, string name, ushort type)
    {
        var buffer = new List<byte>(HeaderSize + name.Length + 6);
        WriteUInt16(buffer, id);
        WriteUInt16(buffer, 0x0100); // RD
        WriteUInt16(buffer, 1);
        WriteUInt16(buffer, 0);
        WriteUInt16(buffer, 0);
        WriteUInt16(buffer, 0);
        WriteName(buffer, name);
        WriteUInt16(buffer, type);
        WriteUInt16(buffer, ClassIn);
        return buffer.ToArray();
    }

    /// <summary>An authoritative answer (AA, RA clear: we recurse for nobody).</summary>
    public static byte[] BuildResponse(ushort id, DnsQuestion question, int rcode, IReadOnlyList<IPAddress> answers, uint ttl = 5)
    {
        var buffer = new List<byte>(512);
        WriteUInt16(buffer, id);
        WriteUInt16(buffer, (ushort)(0x8000 | 0x0400 | 0x0100 | (rcode & 0xF))); // QR, AA, RD echoed
        WriteUInt16(buffer, 1);
        WriteUInt16(buffer, (ushort)answers.Count);
        WriteUInt16(buffer, 0);
        WriteUInt16(buffer, 0);
        WriteName(buffer, question.Name);
        WriteUInt16(buffer, question.Type);
        WriteUInt16(buffer, question.Class);
        foreach (var address in answers)
        {
            var bytes = address.GetAddressBytes();
            WriteUInt16(buffer, 0xC00C); // pointer to the question's name
            WriteUInt16(buffer, bytes.Length == 4 ? TypeA : TypeAaaa);
            WriteUInt16(buffer, ClassIn);
            WriteUInt16(buffer, (ushort)(ttl >> 16));
            WriteUInt16(buffer, (ushort)ttl);
            WriteUInt16(buffer, (ushort)bytes.Length);
            buffer.AddRange(bytes);
        }
        return buffer.ToArray();
    }

    /// <summary>An error answer for a packet we could not parse: echo its id only.</summary>
    public static byte[] BuildError(ReadOnlySpan<byte> packet, int rcode)
    {
        var response = new byte[HeaderSize];
        if (packet.Length >= 2) packet[..2].CopyTo(response);
        response[2] = 0x80;
        response[3] = (byte)(rcode & 0xF);
        return response;
    }

    /// <summary>Response code and answer addresses (tests read answers back with this).</summary>
    public static (int Rcode, List<IPAddress> Addresses) ParseResponse(ReadOnlySpan<byte> packet)
    {
        var rcode = packet[3] & 0xF;
        var answers = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        var offset = HeaderSize;
        while (packet[offset] != 0) offset += packet[offset] + 1;
        offset += 5;
        var result = new List<IPAddress>();
        for (var i = 0; i < answers; i++)
        {
            offset += 2; // name pointer
            var type = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 8)..]);
            offset += 10;
            if (type is TypeA or TypeAaaa) result.Add(new IPAddress(packet.Slice(offset, length)));
            offset += length;
        }
        return (rcode, result);
    }

    private static void WriteName(List<byte> buffer, string name)
    {
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            buffer.Add((byte)Math.Min(bytes.Length, 63));
            buffer.AddRange(bytes.Take(63));
        }
        buffer.Add(0);
    }

    private static void WriteUInt16(List<byte> buffer, ushort value)
    {
        buffer.Add((byte)(value >> 8));
        buffer.Add((byte)value);
    }
}

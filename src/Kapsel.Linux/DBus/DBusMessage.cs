using System.Buffers.Binary;

namespace Kapsel.Linux.DBus;

public enum DBusMessageType : byte { MethodCall = 1, MethodReturn = 2, Error = 3, Signal = 4 }

/// <summary>One D-Bus message: the header fields a client looks at, and the raw message for reading the body.</summary>
public sealed class DBusMessage
{
    private const byte FieldPath = 1, FieldInterface = 2, FieldMember = 3, FieldErrorName = 4, FieldReplySerial = 5,
        FieldDestination = 6, FieldSender = 7, FieldSignature = 8;
    /// <summary>Fixed header (12 bytes) + the header-field array's length: what must be read to know the whole size.</summary>
    public const int PreludeLength = 16;

    public DBusMessageType Type { get; private init; }
    public uint Serial { get; private init; }
    public uint? ReplySerial { get; private init; }
    public string? ErrorName { get; private init; }
    public string? Member { get; private init; }
    public string? Interface { get; private init; }
    public string? Path { get; private init; }
    public string? Sender { get; private init; }
    public string Signature { get; private init; } = "";
    public byte[] Raw { get; private init; } = [];
    public int BodyOffset { get; private init; }

    /// <summary>A reader positioned at the start of the body.</summary>
    public DBusReader Body() => new(Raw, BodyOffset);

    /// <summary>Marshals a method call; <paramref name="body"/> writes the arguments described by <paramref name="signature"/>.</summary>
    public static byte[] MethodCall(uint serial, string destination, string path, string @interface, string member,
        string signature = "", Action<DBusWriter>? body = null)
    {
        var w = new DBusWriter();
        w.Byte((byte)'l');
        w.Byte((byte)DBusMessageType.MethodCall);
        w.Byte(0); // flags
        w.Byte(1); // protocol version
        w.UInt32(0); // body length, patched below
        w.UInt32(serial);
        using (w.Array(8))
        {
            Field(w, FieldPath, "o", path);
            Field(w, FieldInterface, "s", @interface);
            Field(w, FieldMember, "s", member);
            Field(w, FieldDestination, "s", destination);
            if (signature.Length > 0)
            {
                w.Struct();
                w.Byte(FieldSignature);
                w.Variant("g");
                w.Signature(signature);
            }
        }
        w.Align(8);
        var bodyStart = w.Length;
        body?.Invoke(w);
        w.PatchUInt32(4, (uint)(w.Length - bodyStart));
        return w.Written.ToArray();
    }

    private static void Field(DBusWriter w, byte code, string type, string value)
    {
        w.Struct();
        w.Byte(code);
        w.Variant(type);
        w.String(value);
    }

    /// <summary>The total size of a message from its first 16 bytes.</summary>
    public static int TotalLength(ReadOnlySpan<byte> prelude)
    {
        if (prelude[0] != (byte)'l') throw new DBusException("org.kapsel.Error.Endianness", "only little-endian D-Bus messages are supported");
        var body = BinaryPrimitives.ReadUInt32LittleEndian(prelude[4..]);
        var fields = BinaryPrimitives.ReadUInt32LittleEndian(prelude[12..]);
        var header = PreludeLength + (int)fields;
        header += (8 - header % 8) % 8;
        var total = (long)header + body;
        if (total > 128L << 20) throw new DBusException("org.kapsel.Error.TooLarge", $"D-Bus message of {total} bytes");
        return (int)total;
    }

    public static DBusMessage Parse(byte[] raw)
    {
        var r = new DBusReader(raw);
        r.Byte();
        var type = (DBusMessageType)r.Byte();
        r.Byte();
        r.Byte();
        r.UInt32(); // body length
        var serial = r.UInt32();
        uint? replySerial = null;
        string? errorName = null, member = null, iface = null, path = null, sender = null, signature = "";
        var end = r.ArrayEnd(8);
        while (r.Position < end)
        {
            r.Align(8);
            var code = r.Byte();
            var sig = r.Signature();
            switch (code)
            {
                case FieldReplySerial when sig == "u": replySerial = r.UInt32(); break;
                case FieldErrorName when sig == "s": errorName = r.String(); break;
                case FieldMember when sig == "s": member = r.String(); break;
                case FieldInterface when sig == "s": iface = r.String(); break;
                case FieldPath when sig == "o": path = r.String(); break;
                case FieldSender when sig == "s": sender = r.String(); break;
                case FieldSignature when sig == "g": signature = r.Signature(); break;
                default: r.Skip(sig); break;
            }
        }
        r.Align(8);
        return new DBusMessage
        {
            Type = type, Serial = serial, ReplySerial = replySerial, ErrorName = errorName, Member = member,
            Interface = iface, Path = path, Sender = sender, Signature = signature ?? "", Raw = raw, BodyOffset = r.Position,
        };
    }
}

/// <summary>A D-Bus error reply (its error name and message), or a protocol failure.</summary>
public sealed class DBusException(string name, string message) : Exception($"{name}: {message}")
{
    public string Name { get; } = name;
}

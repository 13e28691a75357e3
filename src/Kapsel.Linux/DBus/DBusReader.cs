using System.Buffers.Binary;
using System.Text;

namespace Kapsel.Linux.DBus;

/// <summary>Reads D-Bus wire data (little-endian messages), aligning relative to the message start.</summary>
public sealed class DBusReader(byte[] message, int position = 0)
{
    public int Position { get; private set; } = position;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (Position + n > message.Length) throw new DBusException("org.kapsel.Error.Truncated", "D-Bus message truncated");
        var span = message.AsSpan(Position, n);
        Position += n;
        return span;
    }

    public void Align(int alignment) => Take((alignment - Position % alignment) % alignment);

    public byte Byte() => Take(1)[0];

    public bool Boolean() => UInt32() != 0;

    public int Int32() { Align(4); return BinaryPrimitives.ReadInt32LittleEndian(Take(4)); }

    public uint UInt32() { Align(4); return BinaryPrimitives.ReadUInt32LittleEndian(Take(4)); }

    public ulong UInt64() { Align(8); return BinaryPrimitives.ReadUInt64LittleEndian(Take(8)); }

    public string String()
    {
        var n = (int)UInt32();
        var s = Encoding.UTF8.GetString(Take(n));
        Take(1);
        return s;
    }

    public string Signature()
    {
        var n = Byte();
        var s = Encoding.ASCII.GetString(Take(n));
        Take(1);
        return s;
    }

    /// <summary>An array's end position (after the length and the padding to its element alignment).</summary>
    public int ArrayEnd(int elementAlignment)
    {
        var length = (int)UInt32();
        Align(elementAlignment);
        return Position + length;
    }

    /// <summary>Skips one complete value of a single complete type signature.</summary>
    public void Skip(string signature)
    {
        var i = 0;
        SkipOne(signature, ref i);
    }

    private void SkipOne(string sig, ref int i)
    {
        var c = sig[i++];
        switch (c)
        {
            case 'y': Byte(); break;
            case 'b' or 'i' or 'u' or 'h': UInt32(); break;
            case 'n' or 'q': Align(2); Take(2); break;
            case 'x' or 't' or 'd': UInt64(); break;
            case 's' or 'o': String(); break;
            case 'g': Signature(); break;
            case 'v': Skip(Signature()); break;
            case 'a':
            {
                var elementStart = i;
                var end = ArrayEnd(AlignmentOf(sig[i]));
                Position = end;
                SkipSignature(sig, ref i);
                _ = elementStart;
                break;
            }
            case '(' or '{':
                Align(8);
                while (sig[i] is not (')' or '}')) SkipOne(sig, ref i);
                i++;
                break;
            default: throw new DBusException("org.kapsel.Error.Signature", $"unsupported D-Bus type '{c}'");
        }
    }

    private static void SkipSignature(string sig, ref int i)
    {
        var c = sig[i++];
        if (c == 'a') { SkipSignature(sig, ref i); return; }
        if (c is '(' or '{')
        {
            while (sig[i] is not (')' or '}')) SkipSignature(sig, ref i);
            i++;
        }
    }

    public static int AlignmentOf(char type) => type switch
    {
        'y' or 'g' or 'v' => 1,
        'n' or 'q' => 2,
        'x' or 't' or 'd' or '(' or '{' => 8,
        _ => 4,
    };
}

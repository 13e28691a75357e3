using System.Buffers.Binary;
using System.Text;

namespace Kapsel.Linux.DBus;

/// <summary>
/// D-Bus wire marshalling (little-endian), the subset a client needs: basic types, strings, object
/// paths, signatures, arrays, structs and variants, each aligned as the specification says
/// (alignment is relative to the start of the message, so header and body share one writer).
/// </summary>
public sealed class DBusWriter
{
    private byte[] _buffer = new byte[256];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    private Span<byte> Take(int n)
    {
        if (Length + n > _buffer.Length) System.Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + n));
        var span = _buffer.AsSpan(Length, n);
        Length += n;
        return span;
    }

    public void Align(int alignment)
    {
        var pad = (alignment - Length % alignment) % alignment;
        Take(pad).Clear();
    }

    public void Byte(byte value) => Take(1)[0] = value;

    public void Boolean(bool value) => UInt32(value ? 1u : 0u);

    public void Int32(int value) { Align(4); BinaryPrimitives.WriteInt32LittleEndian(Take(4), value); }

    public void UInt32(uint value) { Align(4); BinaryPrimitives.WriteUInt32LittleEndian(Take(4), value); }

    public void UInt64(ulong value) { Align(8); BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value); }

    /// <summary>s and o: uint32 length, UTF-8 bytes, NUL.</summary>
    public void String(string value)
    {
        var n = Encoding.UTF8.GetByteCount(value);
        UInt32((uint)n);
        Encoding.UTF8.GetBytes(value, Take(n));
        Byte(0);
    }

    public void ObjectPath(string value) => String(value);

    /// <summary>g: byte length, ASCII, NUL.</summary>
    public void Signature(string value)
    {
        if (value.Length > 255) throw new ArgumentException("a D-Bus signature is at most 255 bytes");
        Byte((byte)value.Length);
        Encoding.ASCII.GetBytes(value, Take(value.Length));
        Byte(0);
    }

    /// <summary>
    /// An array: the uint32 byte length (patched when the scope ends), then padding to the element
    /// alignment, which the length does not count, then the elements.
    /// </summary>
    public ArrayScope Array(int elementAlignment)
    {
        UInt32(0);
        var lengthAt = Length - 4;
        Align(elementAlignment);
        return new ArrayScope(this, lengthAt, Length);
    }

    /// <summary>Structs and dict entries start on an 8-byte boundary.</summary>
    public void Struct() => Align(8);

    /// <summary>A variant: the value's signature, then the value (written by the caller).</summary>
    public void Variant(string signature) => Signature(signature);

    public readonly struct ArrayScope(DBusWriter writer, int lengthAt, int start) : IDisposable
    {
        public void Dispose() =>
            BinaryPrimitives.WriteUInt32LittleEndian(writer._buffer.AsSpan(lengthAt, 4), (uint)(writer.Length - start));
    }

    internal void PatchUInt32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(offset, 4), value);
}

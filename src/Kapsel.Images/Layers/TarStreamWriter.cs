using System.Text;

namespace Kapsel.Images.Layers;

/// <summary>
/// Writes a POSIX (ustar + PAX) tar stream, deterministically: no atime/ctime, no user/group
/// names, integer mtimes, PAX records in sorted order and a fixed PAX header name, so the same
/// entries always give the same bytes (and the same layer digest). Long names, long link
/// targets, large ids and sizes, and xattrs (SCHILY.xattr.*) go into a PAX header.
/// </summary>
public sealed class TarStreamWriter(Stream output)
{
    private readonly byte[] _block = new byte[512];
    private readonly byte[] _copyBuffer = new byte[1 << 16];

    public long BytesWritten { get; private set; }

    public void Directory(string name, uint mode, int uid, int gid, long mtime, IReadOnlyDictionary<string, byte[]>? xattrs = null) =>
        Header(name.TrimEnd('/') + "/", '5', mode, uid, gid, 0, mtime, "", 0, 0, xattrs);

    public void Symlink(string name, string target, int uid, int gid, long mtime, IReadOnlyDictionary<string, byte[]>? xattrs = null) =>
        Header(name, '2', 0x1ff, uid, gid, 0, mtime, target, 0, 0, xattrs);

    public void HardLink(string name, string target, uint mode, int uid, int gid, long mtime) =>
        Header(name, '1', mode, uid, gid, 0, mtime, target, 0, 0, null);

    public void Device(string name, bool block, uint mode, int uid, int gid, long mtime, uint major, uint minor, IReadOnlyDictionary<string, byte[]>? xattrs = null) =>
        Header(name, block ? '4' : '3', mode, uid, gid, 0, mtime, "", major, minor, xattrs);

    public void Fifo(string name, uint mode, int uid, int gid, long mtime) =>
        Header(name, '6', mode, uid, gid, 0, mtime, "", 0, 0, null);

    /// <summary>A regular file; exactly <paramref name="size"/> bytes are copied from <paramref name="content"/>.</summary>
    public void File(string name, uint mode, int uid, int gid, long mtime, long size, Stream content, IReadOnlyDictionary<string, byte[]>? xattrs = null)
    {
        Header(name, '0', mode, uid, gid, size, mtime, "", 0, 0, xattrs);
        var left = size;
        while (left > 0)
        {
            var n = content.Read(_copyBuffer, 0, (int)Math.Min(_copyBuffer.Length, left));
            if (n == 0) throw new ImageException($"\"{name}\" shrank while being archived ({left} bytes missing)");
            Write(_copyBuffer.AsSpan(0, n));
            left -= n;
        }
        Pad(size);
    }

    public void File(string name, uint mode, int uid, int gid, long mtime, ReadOnlySpan<byte> content)
    {
        Header(name, '0', mode, uid, gid, content.Length, mtime, "", 0, 0, null);
        Write(content);
        Pad(content.Length);
    }

    /// <summary>The end-of-archive marker: two zero blocks.</summary>
    public void Finish()
    {
        Array.Clear(_block);
        Write(_block);
        Write(_block);
        output.Flush();
    }

    private void Header(string name, char type, uint mode, int uid, int gid, long size, long mtime, string link,
        uint major, uint minor, IReadOnlyDictionary<string, byte[]>? xattrs)
    {
        var pax = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var linkBytes = Encoding.UTF8.GetBytes(link);
        if (nameBytes.Length > 100 || !IsAscii(nameBytes)) pax["path"] = nameBytes;
        if (linkBytes.Length > 100 || !IsAscii(linkBytes)) pax["linkpath"] = linkBytes;
        if (uid is < 0 or > 0x1fffff) pax["uid"] = Encoding.ASCII.GetBytes(((uint)uid).ToString());
        if (gid is < 0 or > 0x1fffff) pax["gid"] = Encoding.ASCII.GetBytes(((uint)gid).ToString());
        if (size > 0x1ffffffffL) pax["size"] = Encoding.ASCII.GetBytes(size.ToString());
        if (mtime is < 0 or > 0x1ffffffffL) pax["mtime"] = Encoding.ASCII.GetBytes(mtime.ToString());
        if (xattrs is not null)
            foreach (var (k, v) in xattrs) pax["SCHILY.xattr." + k] = v;
        if (pax.Count > 0) WritePax(pax);

        Array.Clear(_block);
        var b = _block.AsSpan();
        nameBytes.AsSpan(0, Math.Min(100, nameBytes.Length)).CopyTo(b);
        Octal(b.Slice(100, 8), mode & 0xfff);
        Octal(b.Slice(108, 8), uid is < 0 or > 0x1fffff ? 0 : uid);
        Octal(b.Slice(116, 8), gid is < 0 or > 0x1fffff ? 0 : gid);
        Octal(b.Slice(124, 12), size > 0x1ffffffffL ? 0 : size);
        Octal(b.Slice(136, 12), mtime is < 0 or > 0x1ffffffffL ? 0 : mtime);
        b[156] = (byte)type;
        linkBytes.AsSpan(0, Math.Min(100, linkBytes.Length)).CopyTo(b[157..]);
        "ustar\0"u8.CopyTo(b[257..]);
        "00"u8.CopyTo(b[263..]);
        Octal(b.Slice(329, 8), major);
        Octal(b.Slice(337, 8), minor);
        Checksum(b);
        Write(b);
    }

    private void WritePax(SortedDictionary<string, byte[]> records)
    {
        using var data = new MemoryStream();
        foreach (var (key, value) in records)
        {
            // "LEN key=value\n" where LEN counts itself.
            var rest = Encoding.UTF8.GetByteCount(key) + value.Length + 3; // ' ', '=', '\n'
            var len = rest + 1;
            while (len.ToString().Length + rest > len) len++;
            data.Write(Encoding.ASCII.GetBytes($"{len} {key}="));
            data.Write(value);
            data.WriteByte((byte)'\n');
        }
        Array.Clear(_block);
        var b = _block.AsSpan();
        "PaxHeader"u8.CopyTo(b);
        Octal(b.Slice(100, 8), 0x1a4);
        Octal(b.Slice(108, 8), 0);
        Octal(b.Slice(116, 8), 0);
        Octal(b.Slice(124, 12), data.Length);
        Octal(b.Slice(136, 12), 0);
        b[156] = (byte)'x';
        "ustar\0"u8.CopyTo(b[257..]);
        "00"u8.CopyTo(b[263..]);
        Octal(b.Slice(329, 8), 0);
        Octal(b.Slice(337, 8), 0);
        Checksum(b);
        Write(b);
        Write(data.GetBuffer().AsSpan(0, (int)data.Length));
        Pad(data.Length);
    }

    private static bool IsAscii(byte[] bytes) => bytes.All(c => c is > 0 and < 0x80);

    private static void Octal(Span<byte> field, long value)
    {
        // width-1 zero-padded octal digits, then NUL.
        var digits = field.Length - 1;
        for (var i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        field[digits] = 0;
    }

    private static void Checksum(Span<byte> header)
    {
        header.Slice(148, 8).Fill((byte)' ');
        long sum = 0;
        foreach (var c in header) sum += c;
        Octal(header.Slice(148, 7), sum);
        header[155] = (byte)' ';
    }

    private void Pad(long size)
    {
        var pad = (int)((512 - size % 512) % 512);
        if (pad == 0) return;
        Array.Clear(_block);
        Write(_block.AsSpan(0, pad));
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        output.Write(data);
        BytesWritten += data.Length;
    }
}

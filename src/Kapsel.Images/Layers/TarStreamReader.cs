using System.Buffers.Binary;
using System.Text;

namespace Kapsel.Images.Layers;

/// <summary>
/// A strict, streaming tar reader (ustar, GNU long names, PAX) for untrusted layers. Written
/// here rather than using System.Formats.Tar because layers need raw-byte PAX xattr values
/// (security.capability is binary) and hard limits on header sizes: a hostile header must
/// fail fast, not allocate gigabytes. Every header checksum is verified; a stream that ends
/// inside a header or an entry's data is an error, never a silently short file.
/// </summary>
public sealed class TarStreamReader(Stream stream)
{
    public const int MaxPaxHeader = 1 << 20;       // 1 MiB of PAX records per entry
    public const int MaxNameBytes = 4096;          // PATH_MAX
    public const long MaxEntrySize = 1L << 40;     // 1 TiB: beyond this a size field is nonsense

    private readonly byte[] _block = new byte[512];
    private long _remaining;   // data bytes of the current entry not yet consumed
    private int _padding;      // zero padding after the current entry's data
    private TarEntry? _current;

    /// <summary>Reads the next header; null at the end-of-archive marker (or clean EOF).</summary>
    public TarEntry? Next()
    {
        SkipRest();
        string? longName = null, longLink = null;
        Dictionary<string, byte[]>? pax = null;
        while (true)
        {
            if (!ReadBlock(allowEof: true)) return null;
            if (_block.AsSpan().IndexOfAnyExcept((byte)0) < 0) return null; // zero block: end of archive
            VerifyChecksum();
            var type = (char)_block[156];
            var size = ParseNumber(124, 12, "size");
            if (size < 0 || size > MaxEntrySize) throw Bad($"size {size} out of range");
            switch (type)
            {
                case 'x':
                    pax = ParsePax(ReadMeta(size, MaxPaxHeader, "PAX header"));
                    continue;
                case 'g':
                    ReadMeta(size, MaxPaxHeader, "PAX global header"); // global defaults: not used by image tools
                    continue;
                case 'L':
                    longName = TrimNul(ReadMeta(size, MaxNameBytes + 1, "GNU long name"));
                    continue;
                case 'K':
                    longLink = TrimNul(ReadMeta(size, MaxNameBytes + 1, "GNU long link"));
                    continue;
            }
            var name = longName ?? HeaderName();
            var link = longLink ?? Str(157, 100);
            var mode = (uint)ParseNumber(100, 8, "mode");
            var uid = ParseNumber(108, 8, "uid");
            var gid = ParseNumber(116, 8, "gid");
            var mtime = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(ParseNumber(136, 12, "mtime"), -62135596800L, 253402300799L));
            Dictionary<string, byte[]>? xattrs = null;
            if (pax is not null)
            {
                foreach (var (key, value) in pax)
                {
                    var text = Encoding.UTF8.GetString(value);
                    switch (key)
                    {
                        case "path": name = text; break;
                        case "linkpath": link = text; break;
                        case "size": size = ParseDecimal(text, key); break;
                        case "uid": uid = ParseDecimal(text, key); break;
                        case "gid": gid = ParseDecimal(text, key); break;
                        case "mtime": mtime = ParsePaxTime(text); break;
                        default:
                            if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal)) (xattrs ??= [])[key[13..]] = value;
                            else if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal))
                                throw Bad($"GNU sparse files are not supported (entry \"{name}\")");
                            break;
                    }
                }
            }
            if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes) throw Bad($"entry name longer than {MaxNameBytes} bytes");
            if (Encoding.UTF8.GetByteCount(link) > MaxNameBytes) throw Bad($"entry \"{name}\": link name longer than {MaxNameBytes} bytes");
            if (name.Contains('\0') || link.Contains('\0')) throw Bad($"entry \"{name}\": NUL in name");
            if (size < 0 || size > MaxEntrySize) throw Bad($"entry \"{name}\": size {size} out of range");
            if (uid is < 0 or > int.MaxValue || gid is < 0 or > int.MaxValue) throw Bad($"entry \"{name}\": uid/gid out of range");
            var kind = type switch
            {
                '0' or '\0' or '7' => TarEntryKind.File,
                '1' => TarEntryKind.HardLink,
                '2' => TarEntryKind.Symlink,
                '3' => TarEntryKind.CharDevice,
                '4' => TarEntryKind.BlockDevice,
                '5' => TarEntryKind.Directory,
                '6' => TarEntryKind.Fifo,
                _ => throw Bad($"entry \"{name}\": unsupported tar entry type '{(type < ' ' ? $"\\x{(int)type:x2}" : type.ToString())}'"),
            };
            // Only regular files carry data in image layers; other types' size must be ignored but still skipped.
            _remaining = size;
            _padding = (int)((512 - size % 512) % 512);
            _current = new TarEntry
            {
                Name = name, Kind = kind, LinkName = link, Size = kind == TarEntryKind.File ? size : 0, Mode = mode & 0xfff,
                Uid = (int)uid, Gid = (int)gid, ModTime = mtime, Xattrs = xattrs,
                DevMajor = (uint)ParseNumber(329, 8, "devmajor"), DevMinor = (uint)ParseNumber(337, 8, "devminor"),
            };
            return _current;
        }
    }

    /// <summary>Reads the current entry's data; 0 at its end. Throws if the stream ends early.</summary>
    public int ReadData(Span<byte> buffer)
    {
        if (_remaining == 0) return 0;
        var want = (int)Math.Min(buffer.Length, _remaining);
        var n = stream.Read(buffer[..want]);
        if (n == 0) throw Bad($"entry \"{_current?.Name}\": stream ends {_remaining} bytes before the end of its data (truncated layer)");
        _remaining -= n;
        return n;
    }

    private void SkipRest()
    {
        if (_remaining > 0)
        {
            var buffer = new byte[65536];
            while (ReadData(buffer) > 0) { }
        }
        if (_padding > 0)
        {
            ReadExactly(_block.AsSpan(0, _padding), "padding");
            _padding = 0;
        }
    }

    private bool ReadBlock(bool allowEof)
    {
        var got = 0;
        while (got < 512)
        {
            var n = stream.Read(_block, got, 512 - got);
            if (n == 0)
            {
                if (got == 0 && allowEof) return false;
                throw Bad("stream ends inside a tar header (truncated layer)");
            }
            got += n;
        }
        return true;
    }

    private void ReadExactly(Span<byte> buffer, string what)
    {
        while (!buffer.IsEmpty)
        {
            var n = stream.Read(buffer);
            if (n == 0) throw Bad($"stream ends inside {what} (truncated layer)");
            buffer = buffer[n..];
        }
    }

    private byte[] ReadMeta(long size, int limit, string what)
    {
        if (size > limit) throw Bad($"{what} of {size} bytes exceeds the {limit}-byte limit");
        var data = new byte[size];
        ReadExactly(data, what);
        var pad = (int)((512 - size % 512) % 512);
        if (pad > 0) ReadExactly(_block.AsSpan(0, pad), what);
        return data;
    }

    private void VerifyChecksum()
    {
        long stored;
        try { stored = ParseNumber(148, 8, "checksum"); }
        catch (ImageException) { stored = -1; }
        long unsignedSum = 0, signedSum = 0;
        for (var i = 0; i < 512; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : _block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        if (stored != unsignedSum && stored != signedSum)
            throw Bad($"header checksum mismatch for entry \"{Shorten(HeaderName())}\" (corrupt or not a tar stream)");
    }

    private string HeaderName()
    {
        var name = Str(0, 100);
        var isUstar = _block.AsSpan(257, 5).SequenceEqual("ustar"u8);
        if (isUstar && _block[345] != 0) name = Str(345, 155) + "/" + name;
        return name;
    }

    private static string Shorten(string s) => s.Length <= 100 ? s : s[..100] + "...";

    private string Str(int offset, int length) => TrimNul(_block.AsSpan(offset, length));

    private static string TrimNul(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    /// <summary>Octal (NUL/space terminated) or GNU base-256 (high bit set) numeric field.</summary>
    private long ParseNumber(int offset, int length, string field)
    {
        var f = _block.AsSpan(offset, length);
        if ((f[0] & 0x80) != 0)
        {
            if ((f[0] & 0x40) != 0) throw Bad($"negative {field} field");
            long value = f[0] & 0x3f;
            for (var i = 1; i < f.Length; i++)
            {
                if (value > (long.MaxValue >> 8)) throw Bad($"{field} field overflows");
                value = (value << 8) | f[i];
            }
            return value;
        }
        long result = 0;
        var started = false;
        foreach (var b in f)
        {
            if (b is (byte)' ' or 0) { if (started) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') throw Bad($"invalid octal {field} field in header \"{Str(0, 100)}\"");
            started = true;
            if (result > (long.MaxValue >> 3)) throw Bad($"{field} field overflows");
            result = result * 8 + (b - '0');
        }
        return result;
    }

    private static Dictionary<string, byte[]> ParsePax(byte[] data)
    {
        // Records: "<len> <key>=<value>\n", len counting the whole record.
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var span = data.AsSpan();
        while (!span.IsEmpty)
        {
            if (span.IndexOfAnyExcept((byte)0) < 0) break;
            var space = span.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(Encoding.ASCII.GetString(span[..space]), out var len) || len <= space + 2 || len > span.Length)
                throw Bad("malformed PAX record");
            var record = span[(space + 1)..(len - 1)];
            if (span[len - 1] != (byte)'\n') throw Bad("malformed PAX record (no newline)");
            var eq = record.IndexOf((byte)'=');
            if (eq <= 0) throw Bad("malformed PAX record (no '=')");
            result[Encoding.UTF8.GetString(record[..eq])] = record[(eq + 1)..].ToArray();
            span = span[len..];
        }
        return result;
    }

    private static long ParseDecimal(string text, string key) =>
        long.TryParse(text, out var v) ? v : throw Bad($"invalid PAX {key} \"{text}\"");

    private static DateTimeOffset ParsePaxTime(string text)
    {
        var dot = text.IndexOf('.');
        var secs = ParseDecimal(dot < 0 ? text : text[..dot], "mtime");
        var t = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(secs, -62135596800L, 253402300799L));
        if (dot >= 0)
        {
            var frac = text[(dot + 1)..].PadRight(7, '0')[..7];
            if (long.TryParse(frac, out var ticks)) t = t.AddTicks(secs < 0 ? -ticks : ticks);
        }
        return t;
    }

    private static ImageException Bad(string message) => new($"invalid layer tar: {message}");
}

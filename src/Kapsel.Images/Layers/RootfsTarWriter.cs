using System.Text;
using Kapsel.Linux.Fs;

namespace Kapsel.Images.Layers;

/// <summary>How a directory becomes a layer tar.</summary>
public sealed record RootfsTarOptions
{
    /// <summary>Later modification times are written as this (SOURCE_DATE_EPOCH style); null keeps them.</summary>
    public DateTimeOffset? ClampMtime { get; init; }

    /// <summary>Write extended attributes as PAX SCHILY.xattr.* records (trusted.overlay.* never).</summary>
    public bool Xattrs { get; init; } = true;
}

/// <summary>What a tar write did.</summary>
public sealed record RootfsTarResult(long Entries, long Bytes, long SkippedSockets);

/// <summary>
/// Writes a directory tree (a built-in image's rootfs) as a layer tar: ustar headers with PAX
/// records where ustar falls short (long names, big ids or sizes, xattrs as raw bytes), keeping
/// modes (setuid/sticky too), owners, symlinks, hard links (one inode, one data copy), device
/// nodes and fifos. Deterministic: entries sorted by name, no user/group names, no atime/ctime,
/// whole-second mtimes, fixed PAX header names — the same tree always gives the same bytes, so
/// the layer's diff_id is stable. Links are never followed; the root itself is not an entry.
/// </summary>
public static class RootfsTarWriter
{
    private const int Block = 512;
    private const long MaxOctal7 = 0x1FFFFF;      // 7 octal digits (uid, gid, mode, dev)
    private const long MaxOctal11 = 0x1FFFFFFFF;  // 11 octal digits (size, mtime)

    public static RootfsTarResult Write(string root, Stream output, RootfsTarOptions? options = null)
    {
        options ??= new RootfsTarOptions();
        root = Path.GetFullPath(root);
        var rootStat = FileStatus.Lstat(root);
        if (rootStat.Type != LayerFs.S_IFDIR) throw new ImageException($"{root} is not a directory");
        var state = new State(output, options);
        WriteDir(state, root, "");
        output.Write(new byte[Block * 2]);
        return new RootfsTarResult(state.Entries, state.Bytes, state.SkippedSockets);
    }

    private sealed class State(Stream output, RootfsTarOptions options)
    {
        public readonly Stream Output = output;
        public readonly RootfsTarOptions Options = options;
        public readonly Dictionary<(uint, uint, ulong), string> Inodes = [];
        public readonly byte[] Buffer = new byte[1 << 16];
        public long Entries, Bytes, SkippedSockets;
    }

    private static void WriteDir(State s, string dir, string relative)
    {
        var names = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).ToList();
        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var path = Path.Combine(dir, name!);
            var rel = relative + name;
            var st = FileStatus.Lstat(path);
            switch (st.Type)
            {
                case LayerFs.S_IFDIR:
                    WriteEntry(s, path, rel + "/", st, '5');
                    WriteDir(s, path, rel + "/");
                    break;
                case LayerFs.S_IFREG when st.Links > 1 && s.Inodes.TryGetValue((st.DeviceMajor, st.DeviceMinor, st.Inode), out var first):
                    WriteEntry(s, path, rel, st, '1', linkName: first);
                    break;
                case LayerFs.S_IFREG:
                    if (st.Links > 1) s.Inodes[(st.DeviceMajor, st.DeviceMinor, st.Inode)] = rel;
                    WriteEntry(s, path, rel, st, '0');
                    CopyData(s, path, st.Size);
                    break;
                case LayerFs.S_IFLNK:
                    WriteEntry(s, path, rel, st, '2', linkName: new FileInfo(path).LinkTarget ?? "");
                    break;
                case LayerFs.S_IFCHR: WriteEntry(s, path, rel, st, '3'); break;
                case LayerFs.S_IFBLK: WriteEntry(s, path, rel, st, '4'); break;
                case LayerFs.S_IFIFO: WriteEntry(s, path, rel, st, '6'); break;
                default: s.SkippedSockets++; break; // sockets cannot be archived
            }
        }
    }

    private static void WriteEntry(State s, string path, string name, FileStatus.Info st, char type, string linkName = "")
    {
        var size = type == '0' ? st.Size : 0;
        var mtime = Math.Max(0, st.MtimeSeconds);
        if (s.Options.ClampMtime is { } clamp) mtime = Math.Min(mtime, Math.Max(0, clamp.ToUnixTimeSeconds()));
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var linkBytes = Encoding.UTF8.GetBytes(linkName);

        var pax = new List<(string Key, byte[] Value)>();
        if (nameBytes.Length > 100) pax.Add(("path", nameBytes));
        if (linkBytes.Length > 100) pax.Add(("linkpath", linkBytes));
        if ((uint)st.Uid > MaxOctal7) pax.Add(("uid", Encoding.ASCII.GetBytes(((uint)st.Uid).ToString())));
        if ((uint)st.Gid > MaxOctal7) pax.Add(("gid", Encoding.ASCII.GetBytes(((uint)st.Gid).ToString())));
        if (size > MaxOctal11) pax.Add(("size", Encoding.ASCII.GetBytes(size.ToString())));
        if (s.Options.Xattrs)
            foreach (var (key, value) in FileStatus.Xattrs(path, bestEffort: true))
                if (!key.StartsWith("trusted.overlay.", StringComparison.Ordinal)) pax.Add(("SCHILY.xattr." + key, value));
        if (pax.Count > 0)
        {
            pax.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            var records = PaxRecords(pax);
            var paxName = Encoding.UTF8.GetBytes("PaxHeaders/" + name.TrimEnd('/'));
            var header = Header(paxName.Length > 100 ? paxName[..100] : paxName, 0x1a4, 0, 0, records.Length, mtime, 'x', [], 0, 0);
            s.Output.Write(header);
            s.Output.Write(records);
            Pad(s.Output, records.Length);
        }
        var h = Header(nameBytes.Length > 100 ? nameBytes[..100] : nameBytes, st.Mode & 0xfff,
            (uint)st.Uid > MaxOctal7 ? 0 : st.Uid, (uint)st.Gid > MaxOctal7 ? 0 : st.Gid,
            size > MaxOctal11 ? 0 : size, mtime, type, linkBytes.Length > 100 ? linkBytes[..100] : linkBytes,
            type is '3' or '4' ? st.RdevMajor : 0, type is '3' or '4' ? st.RdevMinor : 0);
        s.Output.Write(h);
        s.Entries++;
    }

    private static void CopyData(State s, string path, long size)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        long done = 0;
        while (done < size)
        {
            var n = file.Read(s.Buffer, 0, (int)Math.Min(s.Buffer.Length, size - done));
            if (n == 0) throw new ImageException($"{path} shrank while being archived");
            s.Output.Write(s.Buffer, 0, n);
            done += n;
        }
        if (file.Read(s.Buffer, 0, 1) != 0) throw new ImageException($"{path} grew while being archived");
        Pad(s.Output, size);
        s.Bytes += size;
    }

    /// <summary>"LEN KEY=VALUE\n" records, LEN counting the whole record including its own digits.</summary>
    internal static byte[] PaxRecords(IEnumerable<(string Key, byte[] Value)> records)
    {
        using var ms = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var body = Encoding.UTF8.GetByteCount(key) + value.Length + 3; // ' ', '=', '\n'
            var len = body + body.ToString().Length;
            if (len.ToString().Length != (len - body)) len++;
            ms.Write(Encoding.ASCII.GetBytes($"{len} {key}="));
            ms.Write(value);
            ms.WriteByte((byte)'\n');
        }
        return ms.ToArray();
    }

    internal static byte[] Header(byte[] name, long mode, long uid, long gid, long size, long mtime, char type, byte[] link, uint devMajor, uint devMinor)
    {
        var h = new byte[Block];
        name.CopyTo(h, 0);
        Octal(h, 100, 8, mode);
        Octal(h, 108, 8, uid);
        Octal(h, 116, 8, gid);
        Octal(h, 124, 12, size);
        Octal(h, 136, 12, Math.Min(mtime, MaxOctal11));
        h[156] = (byte)type;
        link.CopyTo(h, 157);
        "ustar\0"u8.CopyTo(h.AsSpan(257));
        "00"u8.CopyTo(h.AsSpan(263));
        Octal(h, 329, 8, devMajor);
        Octal(h, 337, 8, devMinor);
        for (var i = 148; i < 156; i++) h[i] = (byte)' ';
        var sum = 0;
        foreach (var b in h) sum += b;
        Octal(h, 148, 7, sum); // six digits and NUL, then the space already there
        return h;
    }

    /// <summary>Zero-padded octal in width-1 digits and a NUL.</summary>
    private static void Octal(byte[] h, int offset, int width, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        if (text.Length > width - 1) throw new ImageException($"tar header value {value} does not fit");
        Encoding.ASCII.GetBytes(text).CopyTo(h, offset);
        h[offset + width - 1] = 0;
    }

    private static void Pad(Stream output, long size)
    {
        var rest = (int)(size % Block);
        if (rest != 0) output.Write(new byte[Block - rest]);
    }
}

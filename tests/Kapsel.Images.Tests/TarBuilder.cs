using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Kapsel.Images.Tests;

/// <summary>Builds layer tars in memory for tests, including deliberately malformed ones.</summary>
public sealed class TarBuilder
{
    private readonly MemoryStream _out = new();
    private readonly TarWriter _writer;
    public static readonly DateTimeOffset Epoch = new(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public TarBuilder() => _writer = new TarWriter(_out, TarEntryFormat.Pax, leaveOpen: true);

    public TarBuilder Dir(string name, UnixFileMode mode = (UnixFileMode)0x1ed, int uid = 0, int gid = 0) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode, Uid = uid, Gid = gid, ModificationTime = Epoch });

    public TarBuilder File(string name, string content, UnixFileMode mode = (UnixFileMode)0x1a4, int uid = 0, int gid = 0,
        IEnumerable<KeyValuePair<string, string>>? pax = null) =>
        File(name, Encoding.UTF8.GetBytes(content), mode, uid, gid, pax);

    public TarBuilder File(string name, byte[] content, UnixFileMode mode = (UnixFileMode)0x1a4, int uid = 0, int gid = 0,
        IEnumerable<KeyValuePair<string, string>>? pax = null) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name, pax ?? [])
            { DataStream = new MemoryStream(content), Mode = mode, Uid = uid, Gid = gid, ModificationTime = Epoch });

    public TarBuilder Symlink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, ModificationTime = Epoch, Mode = (UnixFileMode)0x1ff });

    public TarBuilder HardLink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, ModificationTime = Epoch });

    public TarBuilder CharDevice(string name, int major, int minor) =>
        Add(new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0x1b6, ModificationTime = Epoch });

    public TarBuilder Fifo(string name) =>
        Add(new PaxTarEntry(TarEntryType.Fifo, name) { Mode = (UnixFileMode)0x1a4, ModificationTime = Epoch });

    public TarBuilder Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    public byte[] Build()
    {
        _writer.Dispose();
        return _out.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    public static byte[] Zstd(byte[] data)
    {
        using var compressor = new ZstdSharp.Compressor(3);
        return compressor.Wrap(data).ToArray();
    }

    /// <summary>A hand-made ustar header (for sizes and types TarWriter refuses to write), checksum correct.</summary>
    public static byte[] RawHeader(string name, char type, long size)
    {
        var h = new byte[512];
        Encoding.ASCII.GetBytes(name).CopyTo(h, 0);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(h, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 116);
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
        h[156] = (byte)type;
        Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(h, 257);
        FixChecksum(h);
        return h;
    }

    public static void FixChecksum(byte[] h, int offset = 0)
    {
        for (var i = 148; i < 156; i++) h[offset + i] = (byte)' ';
        var sum = 0;
        for (var i = 0; i < 512; i++) sum += h[offset + i];
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, offset + 148);
    }
}

namespace Kapsel.Images.Builtin;

/// <summary>Just enough ELF parsing to tell a static binary from a dynamic one (PT_INTERP present).</summary>
public static class ElfInfo
{
    private const uint PT_INTERP = 3;

    public static bool IsDynamicallyLinked(string path)
    {
        using var f = File.OpenRead(path);
        var header = new byte[64];
        if (f.Read(header) < 64 || header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
            throw new ImageException($"{path} is not an ELF binary");
        if (header[4] != 2) throw new ImageException($"{path} is not a 64-bit ELF binary");
        var phoff = BitConverter.ToInt64(header, 0x20);
        var phentsize = BitConverter.ToUInt16(header, 0x36);
        var phnum = BitConverter.ToUInt16(header, 0x38);
        var entry = new byte[phentsize];
        for (var i = 0; i < phnum; i++)
        {
            f.Position = phoff + (long)i * phentsize;
            if (f.Read(entry) < 4) break;
            if (BitConverter.ToUInt32(entry, 0) == PT_INTERP) return true;
        }
        return false;
    }
}

namespace Kapsel.Images.Layers;

public enum TarEntryKind { File, HardLink, Symlink, CharDevice, BlockDevice, Directory, Fifo }

/// <summary>One tar entry's metadata after PAX and GNU long-name records were applied.</summary>
public sealed class TarEntry
{
    public required string Name { get; init; }
    public required TarEntryKind Kind { get; init; }
    public string LinkName { get; init; } = "";
    public long Size { get; init; }
    public uint Mode { get; init; }
    public int Uid { get; init; }
    public int Gid { get; init; }
    public DateTimeOffset ModTime { get; init; }
    public uint DevMajor { get; init; }
    public uint DevMinor { get; init; }
    /// <summary>Extended attributes from PAX SCHILY.xattr.* records, raw bytes.</summary>
    public Dictionary<string, byte[]>? Xattrs { get; init; }
}

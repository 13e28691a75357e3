using System.Formats.Tar;

namespace Kapsel.Images.Archive;

public enum ArchiveKind { DockerArchive, OciArchive }

/// <summary>Tells a docker-archive from an oci-archive by the entries the tar holds.</summary>
public static class ArchiveFormat
{
    /// <summary>
    /// manifest.json makes it a docker-archive (Docker 25+ also writes an OCI layout beside it;
    /// its manifest.json still describes everything); oci-layout + index.json an oci-archive.
    /// </summary>
    public static ArchiveKind Detect(IEnumerable<string> entryNames, string what = "archive")
    {
        var names = entryNames.Select(n => n.TrimStart('.', '/')).ToHashSet(StringComparer.Ordinal);
        if (names.Contains("manifest.json")) return ArchiveKind.DockerArchive;
        if (names.Contains("index.json") && names.Contains("oci-layout")) return ArchiveKind.OciArchive;
        if (names.Count == 0) throw new ImageException($"{what}: empty archive");
        throw new ImageException($"{what}: neither a docker-archive (no manifest.json) nor an oci-archive (no oci-layout and index.json)");
    }

    /// <summary>Reads just the entry names of a tar file (a corrupt tar is an ImageException).</summary>
    public static ArchiveKind DetectFile(string tarPath, string what)
    {
        var names = new List<string>();
        try
        {
            using var stream = File.OpenRead(tarPath);
            using var tar = new TarReader(stream);
            while (tar.GetNextEntry(copyData: false) is { } e) names.Add(e.Name);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or InvalidOperationException)
        {
            throw new ImageException($"{what}: not a valid tar archive ({e.Message.Split('\n')[0]})");
        }
        return Detect(names, what);
    }
}

using System.Formats.Tar;
using Kapsel.Images.Content;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Archive;

/// <summary>oci-archive: an OCI image layout in a tar (what `podman save --format oci-archive` writes).</summary>
public static class OciArchive
{
    /// <summary>Writes the named images (index.json refs) and every blob they reach.</summary>
    public static void Write(OciLayout layout, IReadOnlyCollection<string> refNames, Stream output)
    {
        var entries = layout.Manifests.Where(d => refNames.Count == 0 || (d.RefName is { } n && refNames.Contains(n))).ToList();
        var missing = refNames.Where(n => entries.All(e => e.RefName != n)).ToList();
        if (missing.Count > 0) throw new ImageException($"image \"{missing[0]}\" is not in {layout.Root}");
        Write(layout, entries, output);
    }

    /// <summary>Writes the given index entries (their ref.name annotations are the names) and every blob they reach.</summary>
    public static void Write(OciLayout layout, IReadOnlyList<Descriptor> entries, Stream output)
    {
        {
            using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
            tar.WriteEntry(Path.Combine(layout.Root, "oci-layout"), "oci-layout");
            var index = new ImageIndex { MediaType = MediaTypes.OciIndex, Manifests = [.. entries] };
            var indexBytes = OciJson.Serialize(index, OciJsonContext.Default.ImageIndex);
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "index.json") { DataStream = new MemoryStream(indexBytes), Mode = (UnixFileMode)0x1a4 });
            foreach (var digest in Reachable(layout, entries))
                tar.WriteEntry(layout.Blobs.BlobPath(digest), $"blobs/sha256/{digest.Hex}");
        }
    }

    /// <summary>Reads an oci-archive into a layout: blobs verified by digest, index entries (and tags) merged.</summary>
    public static List<Descriptor> Read(Stream input, OciLayout target)
    {
        using var tar = new TarReader(input, leaveOpen: true);
        ImageIndex? index = null;
        while (tar.GetNextEntry() is { } entry)
        {
            var name = entry.Name.TrimStart('.', '/');
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            if (name == "index.json")
            {
                using var ms = new MemoryStream();
                entry.DataStream.CopyTo(ms);
                index = OciJson.ParseIndex(ms.ToArray(), "oci-archive index.json");
            }
            else if (name.StartsWith("blobs/sha256/", StringComparison.Ordinal))
                target.Blobs.Put(entry.DataStream, Digest.Parse("sha256:" + name[13..]), entry.Length);
        }
        if (index is null) throw new ImageException("not an oci-archive: no index.json");
        foreach (var d in index.Manifests)
        {
            if (!target.Blobs.Exists(d.Digest)) throw new ImageException($"oci-archive: index.json names {d.Digest}, which the archive lacks");
            if (d.RefName is { } n) target.Tag(n, d); else target.AddUntagged(d);
        }
        return index.Manifests;
    }

    internal static HashSet<Digest> Reachable(OciLayout layout, IEnumerable<Descriptor> roots)
    {
        var seen = new HashSet<Digest>();
        var stack = new Stack<Descriptor>(roots);
        while (stack.Count > 0)
        {
            var d = stack.Pop();
            if (!seen.Add(d.Digest)) continue;
            if (!layout.Blobs.Exists(d.Digest))
            {
                if (MediaTypes.IsIndex(d.MediaType)) { seen.Remove(d.Digest); continue; } // index entries for platforms not pulled
                throw new ImageException($"blob {d.Digest} ({d.MediaType}) is missing from {layout.Root}");
            }
            if (MediaTypes.IsIndex(d.MediaType))
                foreach (var m in OciJson.ParseIndex(layout.Blobs.ReadAllBytes(d.Digest)).Manifests.Where(m => layout.Blobs.Exists(m.Digest))) stack.Push(m);
            else if (MediaTypes.IsManifest(d.MediaType))
            {
                var m = OciJson.ParseManifest(layout.Blobs.ReadAllBytes(d.Digest));
                stack.Push(m.Config);
                foreach (var l in m.Layers) stack.Push(l);
            }
        }
        return seen;
    }
}

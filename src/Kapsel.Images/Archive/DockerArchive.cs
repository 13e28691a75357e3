using System.Formats.Tar;
using System.Text.Json;
using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images.Archive;

/// <summary>
/// docker-archive (`docker save` / `docker load`): manifest.json, repositories, the config as
/// &lt;hex&gt;.json and each layer uncompressed as &lt;diff_id hex&gt;/layer.tar.
/// </summary>
public static class DockerArchive
{
    /// <summary>Writes one image (a platform manifest in the layout) with its tags.</summary>
    public static void Write(OciLayout layout, Descriptor manifestDescriptor, IReadOnlyList<ImageName> tags, Stream output) =>
        Write(layout, [(manifestDescriptor, tags)], output);

    /// <summary>Writes several images (platform manifests in the layout), each with its tags; shared layers once.</summary>
    public static void Write(OciLayout layout, IReadOnlyList<(Descriptor Manifest, IReadOnlyList<ImageName> Tags)> images, Stream output)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var entries = new List<DockerArchiveEntry>();
        var written = new HashSet<string>(StringComparer.Ordinal);
        var repositories = new Dictionary<string, Dictionary<string, string>>();
        foreach (var (manifestDescriptor, tags) in images)
        {
            var manifest = OciJson.ParseManifest(layout.Blobs.ReadAllBytes(manifestDescriptor.Digest, manifestDescriptor.Size));
            var config = layout.ReadConfig(manifest);
            if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
                throw new ImageException($"image {manifest.Config.Digest.Short}: config lists {config.RootFs.DiffIds.Count} diff_ids for {manifest.Layers.Count} layers");
            var configName = manifest.Config.Digest.Hex + ".json";
            if (written.Add(configName)) tar.WriteEntry(layout.Blobs.BlobPath(manifest.Config.Digest), configName);
            var layerNames = new List<string>();
            for (var i = 0; i < manifest.Layers.Count; i++)
            {
                var diffId = Digest.Parse(config.RootFs.DiffIds[i]);
                var name = $"{diffId.Hex}/layer.tar";
                layerNames.Add(name);
                if (!written.Add(name)) continue;
                // Layers are stored uncompressed: decompress into a temp file to learn the size TarWriter needs.
                var temp = Path.GetTempFileName();
                try
                {
                    using (var blob = layout.Blobs.OpenRead(manifest.Layers[i].Digest, manifest.Layers[i].Size))
                    using (var verify = new VerifyingReadStream(Decompression.Open(blob).Stream, diffId, -1, $"layer {diffId}"))
                    using (var file = File.Create(temp))
                        verify.CopyTo(file);
                    tar.WriteEntry(temp, name);
                }
                finally { File.Delete(temp); }
            }
            entries.Add(new DockerArchiveEntry { Config = configName, RepoTags = tags.Select(t => t.Familiar).ToList(), Layers = layerNames });
            foreach (var t in tags)
            {
                var familiar = t.Familiar;
                var colon = familiar.LastIndexOf(':');
                (repositories.TryGetValue(familiar[..colon], out var tagMap) ? tagMap : repositories[familiar[..colon]] = [])[familiar[(colon + 1)..]] = Path.GetDirectoryName(layerNames[^1]) ?? "";
            }
        }
        Add(tar, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(entries, ArchiveJsonContext.Default.ListDockerArchiveEntry));
        Add(tar, "repositories", JsonSerializer.SerializeToUtf8Bytes(repositories, ArchiveJsonContext.Default.DictionaryStringDictionaryStringString));
    }

    /// <summary>
    /// Loads every image of a docker-archive into the layout as an OCI manifest with
    /// uncompressed layers (digest = diff_id), tagged with each RepoTag's full name.
    /// </summary>
    public static List<Descriptor> Read(string archivePath, OciLayout target)
    {
        // Entries may come in any order: index them first, then read what manifest.json names.
        var files = new Dictionary<string, Digest>();
        List<DockerArchiveEntry>? manifests = null;
        using (var stream = File.OpenRead(archivePath))
        using (var tar = new TarReader(stream))
        {
            while (tar.GetNextEntry() is { } e)
            {
                var name = e.Name.TrimStart('.', '/');
                if (e.DataStream is null) continue;
                if (name == "manifest.json")
                {
                    using var ms = new MemoryStream();
                    e.DataStream.CopyTo(ms);
                    manifests = JsonSerializer.Deserialize(ms.ToArray(), ArchiveJsonContext.Default.ListDockerArchiveEntry);
                }
                else
                {
                    // Layers are stored as blobs right away (their digest is their diff_id).
                    files[name] = target.Blobs.Put(e.DataStream);
                }
            }
        }
        if (manifests is null) throw new ImageException($"{archivePath}: not a docker-archive (no manifest.json)");
        var result = new List<Descriptor>();
        foreach (var m in manifests)
        {
            Digest BlobFor(string name) => files.TryGetValue(name, out var d)
                ? d
                : throw new ImageException($"{archivePath}: manifest.json names {name}, which the archive lacks");
            var configDigest = BlobFor(m.Config);
            var config = target.Blobs.ReadAllBytes(configDigest);
            var parsed = OciJson.ParseConfig(config, $"{archivePath}: {m.Config}");
            var layers = m.Layers.Select(l => Descriptor.For(MediaTypes.OciLayer, BlobFor(l), target.Blobs.SizeOf(BlobFor(l))!.Value)).ToList();
            if (!layers.Select(l => l.DigestText).SequenceEqual(parsed.RootFs.DiffIds))
                throw new ImageException($"{archivePath}: layer digests do not match the config's diff_ids");
            var manifest = new ImageManifest
            {
                MediaType = MediaTypes.OciManifest,
                Config = Descriptor.For(MediaTypes.OciConfig, configDigest, config.Length),
                Layers = layers,
            };
            var desc = target.PutJson(OciJson.Serialize(manifest, OciJsonContext.Default.ImageManifest), MediaTypes.OciManifest);
            foreach (var tag in m.RepoTags ?? []) target.Tag(ImageName.Parse(tag).ToString(), desc);
            if (m.RepoTags is not { Count: > 0 }) target.AddUntagged(desc);
            result.Add(desc);
        }
        return result;
    }

    private static void Add(TarWriter tar, string name, byte[] data) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0x1a4 });
}

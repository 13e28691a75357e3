using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace Kapsel.Integration.Tests.Oci;

/// <summary>Writes a one-layer docker-archive (manifest.json, config, layer.tar) from a rootfs tar: what `docker load` and `ctr images import` take.</summary>
public static class DockerArchive
{
    public static void Write(string layerTar, string reference, string archive)
    {
        var layer = File.ReadAllBytes(layerTar);
        var diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(layer));
        var config = Encoding.UTF8.GetBytes(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"]}," +
            $"\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{diffId}\"]}}}}");
        var configName = Convert.ToHexStringLower(SHA256.HashData(config)) + ".json";
        var manifest = Encoding.UTF8.GetBytes($"[{{\"Config\":\"{configName}\",\"RepoTags\":[\"{reference}\"],\"Layers\":[\"layer.tar\"]}}]");
        using var file = File.Create(archive);
        using var tar = new TarWriter(file, TarEntryFormat.Pax);
        void Add(string name, byte[] data) =>
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        Add("layer.tar", layer);
        Add(configName, config);
        Add("manifest.json", manifest);
    }
}

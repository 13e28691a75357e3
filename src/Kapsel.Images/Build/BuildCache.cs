using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Build;

/// <summary>What a cache entry records: the manifest of the state a step produced.</summary>
public sealed class BuildCacheEntry
{
    public string Manifest { get; set; } = "";
    public long Size { get; set; }
    public string Step { get; set; } = "";
}

/// <summary>
/// The layer cache: one small file per step under IMAGES/build-cache/KEY, KEY = sha256 of the
/// parent state's manifest digest (which pins the whole layer chain and config), the step's
/// instruction after substitution, and for COPY/ADD a hash of the copied files' content and
/// metadata. A hit whose blobs were pruned is a miss.
/// </summary>
public sealed class BuildCache(string directory)
{
    public string Directory { get; } = directory;

    public static string Key(string parent, string instruction, string extra = "")
    {
        var text = $"{parent}\n{instruction}\n{extra}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    public ImageState? Get(OciLayout layout, string key)
    {
        var path = Path.Combine(Directory, key);
        if (!File.Exists(path)) return null;
        try
        {
            var entry = JsonSerializer.Deserialize(File.ReadAllBytes(path), BuildJsonContext.Default.BuildCacheEntry);
            if (entry is null || !Content.Digest.TryParse(entry.Manifest, out var digest)) return null;
            return ImageState.TryRead(layout, Descriptor.For(MediaTypes.OciManifest, digest, entry.Size));
        }
        catch (Exception e) when (e is JsonException or ImageException or IOException)
        {
            return null; // a damaged entry is just a miss
        }
    }

    public void Put(string key, ImageState state, string step)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var entry = new BuildCacheEntry { Manifest = state.Manifest.DigestText, Size = state.Manifest.Size, Step = step };
        var path = Path.Combine(Directory, key);
        var temp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(entry, BuildJsonContext.Default.BuildCacheEntry));
        File.Move(temp, path, overwrite: true);
    }
}

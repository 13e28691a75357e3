using System.Text.Json.Serialization;

namespace Kapsel.Images.Layout;

/// <summary>os/architecture[/variant] of an image, as in index entries and image configs.</summary>
public sealed class Platform
{
    [JsonPropertyName("architecture")] public string Architecture { get; set; } = "";
    [JsonPropertyName("os")] public string Os { get; set; } = "";
    [JsonPropertyName("os.version")] public string? OsVersion { get; set; }
    [JsonPropertyName("os.features")] public List<string>? OsFeatures { get; set; }
    [JsonPropertyName("variant")] public string? Variant { get; set; }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}

/// <summary>A wanted platform (`--platform os/arch[/variant]`, default linux/amd64) and how it matches entries.</summary>
public readonly record struct PlatformSpec(string Os, string Architecture, string? Variant)
{
    public static PlatformSpec Default => new("linux", "amd64", null);

    public static PlatformSpec Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
            throw new ImageException($"invalid platform \"{text}\": expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8");
        return new PlatformSpec(parts[0], NormalizeArch(parts[1]), parts.Length == 3 ? parts[2] : null);
    }

    public static string NormalizeArch(string arch) => arch switch
    {
        "x86_64" or "x86-64" => "amd64",
        "aarch64" => "arm64",
        "armhf" => "arm",
        "i386" or "i686" => "386",
        _ => arch,
    };

    /// <summary>Does an index entry's platform satisfy this spec? (arm64's variant v8 is its default.)</summary>
    public bool Matches(Platform? p)
    {
        if (p is null) return false;
        if (!string.Equals(p.Os, Os, StringComparison.OrdinalIgnoreCase)) return false;
        if (NormalizeArch(p.Architecture.ToLowerInvariant()) != Architecture) return false;
        if (Variant is null) return true;
        var have = p.Variant ?? (Architecture == "arm64" ? "v8" : null);
        return string.Equals(have, Variant, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Picks the best entry: exact match, preferring one without a variant when none was asked for.</summary>
    public Descriptor? Select(IEnumerable<Descriptor> entries)
    {
        var spec = this;
        var candidates = entries.Where(d => spec.Matches(d.Platform)).ToList();
        if (Variant is null)
            return candidates.FirstOrDefault(d => d.Platform!.Variant is null) ?? candidates.FirstOrDefault();
        return candidates.FirstOrDefault();
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}

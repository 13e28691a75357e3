using System.Security.Cryptography;

namespace Kapsel.Images.Content;

/// <summary>
/// A content digest "sha256:&lt;64 lowercase hex&gt;". Only sha256 is accepted: it is what every
/// registry and tool writes, and refusing the rest keeps blob paths predictable.
/// </summary>
public readonly record struct Digest(string Hex)
{
    public const string Algorithm = "sha256";

    public static Digest Parse(string text)
    {
        if (!TryParse(text, out var d))
            throw new ImageException($"invalid digest \"{text}\": expected sha256:<64 lowercase hex digits>");
        return d;
    }

    public static bool TryParse(string? text, out Digest digest)
    {
        digest = default;
        if (text is null || !text.StartsWith("sha256:", StringComparison.Ordinal)) return false;
        var hex = text[7..];
        if (hex.Length != 64 || !hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        digest = new Digest(hex);
        return true;
    }

    public static Digest Of(ReadOnlySpan<byte> data) => new(Convert.ToHexStringLower(SHA256.HashData(data)));

    public static Digest Of(Stream stream) => new(Convert.ToHexStringLower(SHA256.HashData(stream)));

    public static Digest FromHash(byte[] sha256) => new(Convert.ToHexStringLower(sha256));

    public override string ToString() => $"{Algorithm}:{Hex}";

    /// <summary>The first 12 hex digits, as docker prints image and layer ids.</summary>
    public string Short => Hex[..12];
}

namespace Kapsel.Engine.Instances;

/// <summary>Instance ids (64 hex chars, shown as 12) and generated names.</summary>
public static class InstanceNames
{
    // Random.Shared, not RandomNumberGenerator: ids need uniqueness, not secrecy, and the crypto
    // RNG would load OpenSSL (milliseconds) on every kapsel start.
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[32];
        Random.Shared.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private static readonly string[] Adjectives = ["brave", "calm", "eager", "fond", "keen", "lucid", "merry", "nimble", "quiet", "sharp", "swift", "tidy", "vivid", "witty", "bold", "clever"];
    private static readonly string[] Nouns = ["bear", "crane", "dune", "fjord", "gecko", "heron", "ibis", "lynx", "marten", "newt", "otter", "puffin", "quail", "raven", "stoat", "wren"];

    public static string Generate() =>
        $"{Adjectives[Random.Shared.Next(Adjectives.Length)]}_{Nouns[Random.Shared.Next(Nouns.Length)]}_{Random.Shared.Next(1000, 10000)}";

    /// <summary>Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*</summary>
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 128 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}

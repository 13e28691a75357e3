namespace Kapsel.Images;

/// <summary>A local image name: NAME[:TAG], tag defaulting to "latest". (Registry references come with the image store.)</summary>
public readonly record struct ImageReference(string Name, string Tag)
{
    public static ImageReference Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ImageException("empty image reference");
        var colon = text.LastIndexOf(':');
        var (name, tag) = colon > 0 && !text[colon..].Contains('/') ? (text[..colon], text[(colon + 1)..]) : (text, "latest");
        if (!IsValidComponent(name, allowSlash: true) || !IsValidComponent(tag, allowSlash: false))
            throw new ImageException($"invalid image reference \"{text}\"");
        return new ImageReference(name.ToLowerInvariant(), tag);
    }

    private static bool IsValidComponent(string s, bool allowSlash) =>
        s.Length is > 0 and <= 128 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' || (allowSlash && c == '/'))
        && !s.StartsWith('.') && !s.Contains("..");

    public override string ToString() => $"{Name}:{Tag}";
}

/// <summary>An image problem with a one-line message meant for the user (unknown image, failed build...).</summary>
public class ImageException(string message, Exception? inner = null) : Exception(message, inner);

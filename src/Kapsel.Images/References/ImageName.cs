namespace Kapsel.Images.References;

/// <summary>
/// A registry image reference with docker's normalisation: `busybox` is
/// docker.io/library/busybox:latest, `localhost:5000/a/b:tag` keeps its registry, and
/// `name@sha256:…` pins a digest. Parse errors are one line naming what is wrong.
/// </summary>
public sealed record ImageName(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";
    public const int MaxNameLength = 255;

    /// <summary>The tag, or "latest" when neither a tag nor a digest was given.</summary>
    public string TagOrLatest => Tag ?? "latest";

    /// <summary>What the registry API calls a manifest: the digest when pinned, else the tag.</summary>
    public string ManifestReference => Digest ?? TagOrLatest;

    /// <summary>The host to talk to: Docker Hub's API lives on registry-1.docker.io.</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    public static ImageName Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw Invalid(text, "empty reference");
        if (text != text.Trim()) throw Invalid(text, "leading or trailing whitespace");
        var rest = text;
        string? digest = null, tag = null;

        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!Content.Digest.TryParse(digest, out _)) throw Invalid(text, $"digest \"{digest}\" is not sha256:<64 lowercase hex digits>");
        }
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!IsValidTag(tag)) throw Invalid(text, $"tag \"{tag}\" must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}");
        }
        if (rest.Length == 0) throw Invalid(text, "missing repository name");

        string registry, path;
        var firstSlash = rest.IndexOf('/');
        var first = firstSlash < 0 ? "" : rest[..firstSlash];
        // The first component is a registry when it has a '.' or ':' or is "localhost". (Docker also
        // takes one with capitals, "UPPER/x", as a host and looks it up; Kapsel reads it as a
        // repository name, which must be lowercase: a typo is an error here, not a DNS query.)
        if (firstSlash > 0 && (first.Contains('.') || first.Contains(':') || first == "localhost"))
        {
            registry = first;
            path = rest[(firstSlash + 1)..];
            if (!IsValidRegistry(registry)) throw Invalid(text, $"registry \"{registry}\" is not a valid host[:port]");
        }
        else
        {
            registry = DockerHub;
            path = rest;
        }
        if (registry is "index.docker.io" or "registry-1.docker.io") registry = DockerHub;
        if (registry == DockerHub && !path.Contains('/')) path = "library/" + path;

        if (path.Any(char.IsAsciiLetterUpper)) throw Invalid(text, "repository name must be lowercase");
        foreach (var component in path.Split('/'))
            if (!IsValidPathComponent(component))
                throw Invalid(text, component.Length == 0
                    ? "empty path component (double or trailing '/')"
                    : $"path component \"{component}\" must be lowercase letters, digits and single separators ('.', '_', '__', '-')");
        if (registry.Length + 1 + path.Length > MaxNameLength) throw Invalid(text, $"name longer than {MaxNameLength} characters");
        return new ImageName(registry, path, tag, digest);
    }

    public static bool TryParse(string text, out ImageName? name)
    {
        try { name = Parse(text); return true; }
        catch (ImageException) { name = null; return false; }
    }

    public ImageName WithTag(string tag) => this with { Tag = tag, Digest = null };

    public ImageName WithDigest(string digest) => this with { Digest = digest };

    /// <summary>registry/repository without tag or digest.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>Fully qualified: docker.io/library/busybox:latest, or …@sha256:… when pinned.</summary>
    public override string ToString() =>
        Name + (Digest is not null ? (Tag is not null ? $":{Tag}" : "") + "@" + Digest : ":" + TagOrLatest);

    /// <summary>The short form docker prints: busybox:latest, user/app:1, localhost:5000/x:y.</summary>
    public string Familiar
    {
        get
        {
            var name = Registry == DockerHub
                ? (Repository.StartsWith("library/", StringComparison.Ordinal) ? Repository[8..] : Repository)
                : Name;
            return name + (Digest is not null ? "@" + Digest : ":" + TagOrLatest);
        }
    }

    private static bool IsValidTag(string tag) =>
        tag.Length is > 0 and <= 128 && (char.IsAsciiLetterOrDigit(tag[0]) || tag[0] == '_')
        && tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
    private static bool IsValidPathComponent(string c)
    {
        if (c.Length == 0 || !IsAlnum(c[0]) || !IsAlnum(c[^1])) return false;
        for (var i = 0; i < c.Length; i++)
        {
            if (IsAlnum(c[i])) continue;
            var start = i;
            while (i < c.Length && !IsAlnum(c[i])) i++;
            var sep = c[start..i];
            if (sep is not ("." or "_" or "__") && !sep.All(ch => ch == '-')) return false;
            i--;
        }
        return true;
    }

    private static bool IsAlnum(char c) => c is >= 'a' and <= 'z' or >= '0' and <= '9';

    private static bool IsValidRegistry(string registry)
    {
        var host = registry;
        var colon = registry.LastIndexOf(':');
        if (colon >= 0 && !registry.EndsWith(']'))
        {
            if (!int.TryParse(registry[(colon + 1)..], out var port) || port is < 1 or > 65535) return false;
            host = registry[..colon];
        }
        if (host.StartsWith('[') && host.EndsWith(']')) return System.Net.IPAddress.TryParse(host[1..^1], out _);
        return host.Length > 0 && host.Split('.').All(label =>
            label.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(label[0]) && char.IsAsciiLetterOrDigit(label[^1])
            && label.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-'));
    }

    private static ImageException Invalid(string text, string why) => new($"invalid image reference \"{text}\": {why}");
}

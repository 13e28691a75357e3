using System.Security.Cryptography;
using System.Text;

namespace Kapsel.Linux.Host;

/// <summary>What Kapsel can tell about the root that owns a host resource.</summary>
public enum RootStatus
{
    /// <summary>The root asking.</summary>
    Self,
    /// <summary>Another root that still exists: its resources are its own business.</summary>
    Alive,
    /// <summary>A registered root whose directory (or database) is gone: its resources are orphans.</summary>
    Gone,
    /// <summary>No owner recorded (made by an older Kapsel) or an id never registered here.</summary>
    Unknown,
}

/// <summary>
/// The host-wide registry of Kapsel state roots, so a host resource (bridge, veth, nft table) can
/// carry its owner as a short id and anyone can tell whether that owner still exists. A root's id
/// is a hash of its full path; <c>/run/kapsel-roots/ID</c> holds the path. /run has the lifetime
/// of the kernel objects it describes (cleared at boot on a tmpfs /run, as links and nft tables
/// are); a root is "gone" once its path no longer holds its state database.
/// </summary>
public static class StateRoots
{
    public static string RegistryDirectory { get; } =
        Environment.GetEnvironmentVariable("KAPSEL_ROOTS_REGISTRY") is { Length: > 0 } r ? r : "/run/kapsel-roots";

    /// <summary>The file whose presence says a root still exists (the engine's state database).</summary>
    public const string Marker = "kapsel.db";

    public const string AliasPrefix = "kapsel:";

    /// <summary>12 hex digits of SHA-256 of the root's full path.</summary>
    public static string Id(string rootPath) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(rootPath).TrimEnd('/')))).ToLowerInvariant()[..12];

    /// <summary>Records the root (idempotent; a cheap stat when already there). Returns its id.</summary>
    public static string Register(string rootPath)
    {
        var full = Path.GetFullPath(rootPath).TrimEnd('/');
        var id = Id(full);
        var file = Path.Combine(RegistryDirectory, id);
        try
        {
            if (File.Exists(file) && File.ReadAllText(file) == full) return id;
            Directory.CreateDirectory(RegistryDirectory);
            var temp = $"{file}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, full);
            File.Move(temp, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not root (read-only commands): nothing this process makes needs an owner then.
        }
        return id;
    }

    /// <summary>The registered path of a root id, or null.</summary>
    public static string? PathOf(string id)
    {
        if (id.Length != 12 || !id.All(Uri.IsHexDigit)) return null;
        try { return File.ReadAllText(Path.Combine(RegistryDirectory, id)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    public static RootStatus StatusOf(string? id, string selfId)
    {
        if (id is null) return RootStatus.Unknown;
        if (id == selfId) return RootStatus.Self;
        if (PathOf(id) is not { } path) return RootStatus.Unknown;
        return File.Exists(Path.Combine(path, Marker)) ? RootStatus.Alive : RootStatus.Gone;
    }

    /// <summary>Every registered root: id and path.</summary>
    public static IReadOnlyList<(string Id, string Path)> List()
    {
        if (!Directory.Exists(RegistryDirectory)) return [];
        return Directory.GetFiles(RegistryDirectory).Select(System.IO.Path.GetFileName).OfType<string>()
            .Where(n => n.Length == 12).Select(id => (id, PathOf(id))).Where(e => e.Item2 is not null)
            .Select(e => (e.id, e.Item2!)).ToList();
    }

    /// <summary>Forgets a root that is gone (system prune, after its resources went).</summary>
    public static void Forget(string id)
    {
        try { File.Delete(Path.Combine(RegistryDirectory, id)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The link alias that names its owner root.</summary>
    public static string Alias(string id) => AliasPrefix + id;

    /// <summary>The owner id in a link alias, or null when the alias is not Kapsel's.</summary>
    public static string? OwnerOf(string? alias) =>
        alias is not null && alias.StartsWith(AliasPrefix, StringComparison.Ordinal) ? alias[AliasPrefix.Length..] : null;
}

using System.Text.RegularExpressions;
using Kapsel.Engine.Instances;

namespace Kapsel.Engine.Volumes;

/// <summary>
/// Named volumes: a directory ROOT/volumes/NAME/_data per volume (Docker's layout), bind-mounted
/// into instances. A directory is the whole record, so there is no state to get out of sync;
/// which instances use a volume is read from their configs.
/// </summary>
public sealed partial class VolumeStore(string root)
{
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")]
    private static partial Regex ValidName();

    public string Root { get; } = root;

    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    public string DataPath(string name) => Path.Combine(Root, name, "_data");

    public bool Exists(string name) => IsValidName(name) && Directory.Exists(DataPath(name));

    /// <summary>Creates the volume if missing; returns whether it was created now.</summary>
    public bool Create(string name)
    {
        if (!IsValidName(name))
            throw new KapselException($"invalid volume name \"{name}\": use letters, digits, '_', '.', '-', starting with a letter or digit");
        if (Directory.Exists(DataPath(name))) return false;
        // Made in a temp dir and renamed, so a half-made volume is never seen.
        Directory.CreateDirectory(Root);
        var temp = Path.Combine(Root, $".tmp-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(temp, "_data"));
        try { Directory.Move(temp, Path.Combine(Root, name)); return true; }
        catch (IOException) when (Directory.Exists(DataPath(name))) { Directory.Delete(temp, true); return false; }
    }

    public string CreateAnonymous()
    {
        var name = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        Create(name);
        return name;
    }

    public IReadOnlyList<VolumeInfo> List() => !Directory.Exists(Root) ? [] :
        Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.') && Directory.Exists(DataPath(n)))
            .Order(StringComparer.Ordinal)
            .Select(n => new VolumeInfo(n, DataPath(n), Directory.GetCreationTimeUtc(Path.Combine(Root, n))))
            .ToList();

    /// <summary>Removes a volume that no instance uses (the caller passes every instance).</summary>
    public void Remove(string name, IEnumerable<Instance> instances, bool force = false)
    {
        if (!Exists(name)) throw new KapselException($"no such volume: {name}");
        var users = UsersOf(name, instances);
        if (users.Count > 0 && !force)
            throw new KapselException($"volume \"{name}\" is in use by instance(s) {string.Join(", ", users)}; remove them first");
        Images.ImageStore.DeleteTree(Path.Combine(Root, name));
    }

    public static List<string> UsersOf(string name, IEnumerable<Instance> instances) =>
        instances.Where(i => i.Config.Mounts.Any(m => m.Type == "volume" && m.Source == name)).Select(i => i.Name).ToList();
}

public sealed record VolumeInfo(string Name, string Mountpoint, DateTime Created);

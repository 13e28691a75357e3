namespace Kapsel.Linux.Cgroups;

/// <summary>
/// A systemd-style cgroupsPath "slice:prefix:name" (runc/crun --systemd-cgroup), and the cgroup
/// path systemd gives the unit: "system.slice:docker:abc" → "/system.slice/docker-abc.scope".
/// Only the naming; creating the unit over D-Bus is a systemd manager's job.
/// </summary>
public sealed record SystemdCgroupPath(string Slice, string Prefix, string Name)
{
    /// <summary>The slice used when the path leaves it empty (a root manager's default).</summary>
    public const string DefaultSlice = "system.slice";

    /// <summary>The unit name: "prefix-name.scope", "name.scope" without a prefix, or Name itself if it is already a .slice/.scope unit.</summary>
    public string UnitName =>
        Name.EndsWith(".slice", StringComparison.Ordinal) || Name.EndsWith(".scope", StringComparison.Ordinal) ? Name
        : Prefix.Length > 0 ? $"{Prefix}-{Name}.scope" : $"{Name}.scope";

    /// <summary>The cgroup path (from the hierarchy root) that systemd creates for the unit.</summary>
    public string CgroupPath
    {
        get
        {
            var slice = ExpandSlice(Slice.Length > 0 ? Slice : DefaultSlice);
            return slice == "/" ? "/" + UnitName : $"{slice}/{UnitName}";
        }
    }

    public static bool IsSystemdForm(string cgroupsPath) => !cgroupsPath.StartsWith('/') && cgroupsPath.Split(':').Length == 3;

    public static SystemdCgroupPath Parse(string cgroupsPath)
    {
        var parts = cgroupsPath.Split(':');
        if (parts.Length != 3)
            throw new ArgumentException($"systemd cgroups path \"{cgroupsPath}\" is not of the form slice:prefix:name");
        if (parts[2].Length == 0)
            throw new ArgumentException($"systemd cgroups path \"{cgroupsPath}\" has no name");
        foreach (var part in parts)
            if (part.Contains('/'))
                throw new ArgumentException($"systemd cgroups path \"{cgroupsPath}\" contains '/'");
        if (parts[0].Length > 0) ExpandSlice(parts[0]); // validates
        return new SystemdCgroupPath(parts[0], parts[1], parts[2]);
    }

    /// <summary>
    /// systemd nests slices by their dash-separated name: "a-b-c.slice" lives in
    /// "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root.
    /// </summary>
    public static string ExpandSlice(string slice)
    {
        const string suffix = ".slice";
        if (!slice.EndsWith(suffix, StringComparison.Ordinal) || slice.Contains('/'))
            throw new ArgumentException($"\"{slice}\" is not a valid slice name");
        var stem = slice[..^suffix.Length];
        if (stem == "-") return "/";
        if (stem.Length == 0 || stem.StartsWith('-') || stem.EndsWith('-') || stem.Contains("--"))
            throw new ArgumentException($"\"{slice}\" is not a valid slice name");
        var path = new System.Text.StringBuilder();
        var prefix = "";
        foreach (var component in stem.Split('-'))
        {
            prefix = prefix.Length == 0 ? component : $"{prefix}-{component}";
            path.Append('/').Append(prefix).Append(suffix);
        }
        return path.ToString();
    }

    /// <summary>True when systemd manages the host: PID 1 is systemd and its private bus socket exists.</summary>
    public static bool SystemdAvailable() => SystemdAvailable("/proc/1/comm", "/run/systemd/private");

    internal static bool SystemdAvailable(string pid1CommPath, string privateSocketPath)
    {
        try
        {
            return File.ReadAllText(pid1CommPath).Trim() == "systemd" && Path.Exists(privateSocketPath);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}

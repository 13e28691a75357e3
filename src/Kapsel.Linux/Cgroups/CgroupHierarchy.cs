namespace Kapsel.Linux.Cgroups;

/// <summary>
/// One mounted cgroup hierarchy. For v1, <see cref="Controllers"/> are the controllers bound to it
/// (e.g. "cpu","cpuacct" when mounted together) and <see cref="Name"/> a named hierarchy
/// ("systemd"); for v2, the controllers listed in the root's cgroup.controllers.
/// </summary>
/// <param name="MountRoot">The cgroup that the mount shows at <paramref name="MountPoint"/> (mountinfo field 4).</param>
/// <param name="CurrentPath">This process's cgroup in the hierarchy, from /proc/self/cgroup.</param>
public sealed record CgroupHierarchy(int Version, string MountPoint, string MountRoot, IReadOnlyList<string> Controllers,
    string? Name, string CurrentPath)
{
    /// <summary>Stable identifier: "unified", "name=systemd", or the v1 controllers joined with ','.</summary>
    public string Key => Version == 2 ? UnifiedKey : Name is not null ? "name=" + Name : string.Join(",", Controllers);

    public const string UnifiedKey = "unified";

    public bool Has(string controller) => Controllers.Contains(controller);

    /// <summary>The directory of this process's own cgroup.</summary>
    public string CurrentDirectory => Join(MountPoint, RelativeToMountRoot(CurrentPath));

    /// <summary>
    /// Resolves an OCI cgroupsPath: absolute paths start at the hierarchy's (visible) root, relative
    /// ones at this process's own cgroup in the hierarchy.
    /// </summary>
    public string DirectoryFor(string cgroupsPath)
    {
        CgroupPathValidation.Validate(cgroupsPath);
        return cgroupsPath.StartsWith('/') ? Join(MountPoint, cgroupsPath) : Join(CurrentDirectory, cgroupsPath);
    }

    private string RelativeToMountRoot(string path)
    {
        if (MountRoot == "/") return path;
        if (path == MountRoot) return "/";
        // A bind mount of a subtree (e.g. a v1 container without a cgroup namespace) shows MountRoot at MountPoint.
        return path.StartsWith(MountRoot + "/", StringComparison.Ordinal) ? path[MountRoot.Length..] : "/";
    }

    internal static string Join(string directory, string path)
    {
        var trimmed = path.Trim('/');
        return trimmed.Length == 0 ? directory : directory.TrimEnd('/') + "/" + trimmed;
    }
}

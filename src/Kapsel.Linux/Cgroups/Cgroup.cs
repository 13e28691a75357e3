namespace Kapsel.Linux.Cgroups;

/// <summary>
/// Entry point: creates or opens the <see cref="ICgroup"/> for an OCI cgroupsPath on whatever
/// layout the host has. A systemd-style "slice:prefix:name" path is converted first with
/// <see cref="SystemdCgroupPath"/> by the caller (it decides whether systemd manages cgroups).
/// </summary>
public static class Cgroup
{
    /// <summary>Opens an existing cgroup (nothing is created); relative paths resolve against this process's cgroups.</summary>
    public static ICgroup Open(string cgroupsPath, CgroupLayout? layout = null)
    {
        layout ??= CgroupLayout.Detect();
        return Open(layout.ResolveDirectories(cgroupsPath), layout);
    }

    /// <summary>Reopens a cgroup from the <see cref="ICgroup.Directories"/> a previous process stored.</summary>
    public static ICgroup Open(IReadOnlyDictionary<string, string> directories, CgroupLayout? layout = null)
    {
        layout ??= CgroupLayout.Detect();
        foreach (var dir in directories.Values)
            if (!dir.StartsWith('/') || dir.Split('/').Any(p => p is "." or ".."))
                throw new ArgumentException($"cgroup directory \"{dir}\" is not a clean absolute path");
        string UnifiedDirectory() => directories.TryGetValue(CgroupHierarchy.UnifiedKey, out var d) ? d
            : throw new ArgumentException("the cgroup directories lack the unified (cgroup v2) entry");
        return layout.Mode switch
        {
            CgroupLayoutMode.Unified => new CgroupV2(layout.Unified!, UnifiedDirectory()),
            CgroupLayoutMode.Legacy => new CgroupV1(layout.Legacy, directories),
            _ => new HybridCgroup(new CgroupV1(layout.Legacy, directories), new CgroupV2(layout.Unified!, UnifiedDirectory()), layout.Unified!),
        };
    }

    /// <summary>Creates the cgroup directories (an existing cgroup is reused).</summary>
    public static ICgroup Create(string cgroupsPath, CgroupLayout? layout = null) => Create(cgroupsPath, null, out _, layout);

    /// <summary>
    /// Creates the cgroup and applies <paramref name="resources"/>. If anything fails, the
    /// directories this call created are removed before the exception propagates.
    /// </summary>
    public static ICgroup Create(string cgroupsPath, CgroupResources? resources, out IReadOnlyList<string> warnings,
        CgroupLayout? layout = null)
    {
        var cgroup = Open(cgroupsPath, layout);
        var created = cgroup switch
        {
            CgroupV2 v2 => v2.Create(),
            CgroupV1 v1 => v1.Create(),
            HybridCgroup hybrid => hybrid.Create(),
            _ => throw new InvalidOperationException("unknown cgroup kind"),
        };
        try
        {
            warnings = cgroup.Apply(resources ?? new CgroupResources());
        }
        catch
        {
            CgroupDirectories.RemoveCreated(created);
            throw;
        }
        return cgroup;
    }
}

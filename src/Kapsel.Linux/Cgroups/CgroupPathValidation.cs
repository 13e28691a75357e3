namespace Kapsel.Linux.Cgroups;

/// <summary>Rejects cgroupsPath values that could escape the cgroup tree.</summary>
internal static class CgroupPathValidation
{
    public static void Validate(string cgroupsPath)
    {
        if (string.IsNullOrWhiteSpace(cgroupsPath))
            throw new ArgumentException("the cgroups path is empty");
        if (cgroupsPath.Contains('\0'))
            throw new ArgumentException("the cgroups path contains a NUL byte");
        foreach (var part in cgroupsPath.Split('/'))
            if (part is "." or "..")
                throw new ArgumentException($"the cgroups path \"{cgroupsPath}\" contains \"{part}\"");
    }
}

namespace Kapsel.Linux.Tests.Cgroups;

/// <summary>
/// Remembers which controllers a cgroup2 directory delegates, so a test can take back the ones that
/// creating its cgroups enabled (tests leave the host as they found it).
/// </summary>
internal sealed class SubtreeControlSnapshot(string? directory)
{
    private readonly string[] _before = directory is null ? [] : Read(directory);

    private static string[] Read(string directory) =>
        File.ReadAllText(Path.Combine(directory, "cgroup.subtree_control")).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);

    public void Restore()
    {
        if (directory is null) return;
        foreach (var controller in Read(directory).Except(_before))
            File.WriteAllText(Path.Combine(directory, "cgroup.subtree_control"), "-" + controller);
    }
}

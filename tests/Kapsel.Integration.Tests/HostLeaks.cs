namespace Kapsel.Integration.Tests;

/// <summary>Snapshots of host state that a test must leave as it found it: mounts, child processes, instance cgroups.</summary>
public static class HostLeaks
{
    /// <summary>Instance directories left under a kapsel root (none is fine: --rm runs may never make one).</summary>
    public static IReadOnlyList<string> InstanceDirs(string root)
    {
        var dir = System.IO.Path.Combine(root, "instances");
        return Directory.Exists(dir) ? Directory.GetDirectories(dir) : [];
    }

    public static IReadOnlyList<string> MountsUnder(string path) =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(path)).ToList();

    /// <summary>Processes whose command line mentions the marker (e.g. a test root path).</summary>
    public static IReadOnlyList<int> ProcessesMentioning(string marker)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cmdline = File.ReadAllText(System.IO.Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(marker)) result.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return result;
    }

    /// <summary>Instance cgroup directories (/kapsel/ID in every hierarchy, v1, v2 or hybrid) on the host now.</summary>
    public static IReadOnlySet<string> InstanceCgroups()
    {
        var result = new HashSet<string>();
        foreach (var hierarchy in new[] { "/sys/fs/cgroup" }.Concat(Directory.Exists("/sys/fs/cgroup") ? Directory.GetDirectories("/sys/fs/cgroup") : []))
        {
            var parent = System.IO.Path.Combine(hierarchy, "kapsel");
            if (!Directory.Exists(parent)) continue;
            try { result.UnionWith(Directory.GetDirectories(parent).Where(d => System.IO.Path.GetFileName(d).Length == 64)); }
            catch (DirectoryNotFoundException) { }
        }
        return result;
    }

    /// <summary>
    /// Instance cgroups made since <paramref name="before"/> that stay, empty of processes, for a
    /// second: what a failed run leaked. (Other tests' instances come and go meanwhile; a live one
    /// has its processes in it, a transient one is gone by the second look.)
    /// </summary>
    public static IReadOnlyList<string> LeakedInstanceCgroups(IReadOnlySet<string> before)
    {
        static bool Empty(string dir)
        {
            try { return File.ReadAllText(System.IO.Path.Combine(dir, "cgroup.procs")).Trim().Length == 0; }
            catch (IOException) { return false; }
        }
        var suspects = InstanceCgroups().Where(d => !before.Contains(d) && Empty(d)).ToList();
        if (suspects.Count == 0) return suspects;
        Thread.Sleep(1000);
        return suspects.Where(d => Directory.Exists(d) && Empty(d)).ToList();
    }
}

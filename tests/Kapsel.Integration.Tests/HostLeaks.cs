namespace Kapsel.Integration.Tests;

/// <summary>Snapshots of host state that a test must leave as it found it: mounts and child processes.</summary>
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
}

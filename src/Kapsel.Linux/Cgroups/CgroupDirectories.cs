namespace Kapsel.Linux.Cgroups;

/// <summary>Creating a cgroup directory path level by level, and removing a cgroup subtree.</summary>
public static class CgroupDirectories
{
    /// <summary>
    /// Creates <paramref name="directory"/> and its missing parents below <paramref name="mountPoint"/>.
    /// <paramref name="beforeLevel"/>(parent) runs before each level is entered (v2 enables controllers
    /// there); <paramref name="created"/> receives each new directory in creation order.
    /// </summary>
    public static void MakePath(string mountPoint, string directory, List<string> created,
        Action<string>? beforeLevel = null, Action<string, string>? afterCreate = null)
    {
        var root = mountPoint.TrimEnd('/');
        if (directory != root && !directory.StartsWith(root + "/", StringComparison.Ordinal))
            throw new ArgumentException($"{directory} is not below the cgroup mount {mountPoint}");
        var current = root;
        foreach (var component in directory[root.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            beforeLevel?.Invoke(current);
            var next = current + "/" + component;
            if (CgroupFiles.MakeDirectory(next))
            {
                created.Add(next);
                afterCreate?.Invoke(current, next);
            }
            current = next;
        }
    }

    /// <summary>
    /// rmdir of the cgroup's descendants (deepest first) and then the cgroup itself. EBUSY means
    /// processes are still leaving: retry until <paramref name="timeout"/>. A missing directory is fine.
    /// </summary>
    public static void RemoveTree(string directory, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var child in CgroupFiles.SafeSubdirectories(directory)) RemoveTree(child, timeout);
        while (true)
        {
            var errno = CgroupFiles.RemoveDirectory(directory);
            if (errno is 0 or Errnos.ENOENT) return;
            if (errno != Errnos.EBUSY || DateTime.UtcNow >= deadline)
            {
                var hint = errno == Errnos.EBUSY ? $" (still holds processes: {string.Join(" ", Pids(directory))})" : "";
                throw new CgroupException($"rmdir {directory}{hint}", errno, directory);
            }
            Thread.Sleep(10);
        }
    }

    private static IEnumerable<int> Pids(string directory)
    {
        var pids = new SortedSet<int>();
        try { CgroupFiles.CollectPids(directory, pids); } catch (CgroupException) { }
        return pids;
    }

    /// <summary>
    /// One rmdir per directory, no reads: true when every one is gone (removed, or missing). The usual
    /// delete of a stopped container's cgroup needs nothing more; a directory that still holds
    /// processes or children answers EBUSY and the caller takes the slow path (kill, wait, subtree).
    /// </summary>
    public static bool TryRemoveEmpty(IEnumerable<string> directories)
    {
        var all = true;
        foreach (var directory in directories)
            if (CgroupFiles.RemoveDirectory(directory) is not (0 or Errnos.ENOENT)) all = false;
        return all;
    }

    /// <summary>Best-effort removal of directories made by a failed create, newest first.</summary>
    public static void RemoveCreated(IReadOnlyList<string> created)
    {
        for (var i = created.Count - 1; i >= 0; i--)
            try { RemoveTree(created[i], TimeSpan.FromSeconds(1)); } catch (CgroupException) { }
    }
}

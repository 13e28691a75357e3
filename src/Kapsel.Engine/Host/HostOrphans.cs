using Kapsel.Linux.Cgroups;
using Kapsel.Linux.Fs;
using Kapsel.Linux.Host;
using Kapsel.Linux.Interop;
using Kapsel.Network.Networks;

namespace Kapsel.Engine.Host;

/// <summary>
/// `kapsel system check|prune`: host objects Kapsel made that no existing state knows about —
/// links and nft rules (<see cref="NetworkManager.FindOrphans"/>), instance cgroups
/// (`/kapsel/ID` in every hierarchy) and mounts under instance directories — across every root
/// registered in <see cref="StateRoots"/>: an object belongs to a root that still exists and
/// knows it, or it is an orphan.
/// </summary>
public sealed class HostOrphans(KapselEngine engine)
{
    /// <summary>Cgroups younger than this are left alone: an instance may be starting right now.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    public IReadOnlyList<HostOrphan> Find()
    {
        var result = new List<HostOrphan>(engine.Networks.FindOrphans());
        var known = KnownInstanceIds();
        foreach (var (id, dirs) in InstanceCgroups())
        {
            if (known.Contains(id) || dirs.Any(d => DateTime.UtcNow - Directory.GetLastWriteTimeUtc(d) < Grace)) continue;
            var busy = dirs.Any(d => File.Exists(Path.Combine(d, "cgroup.procs")) && File.ReadAllText(Path.Combine(d, "cgroup.procs")).Trim().Length > 0);
            result.Add(new HostOrphan("cgroup", "/kapsel/" + id,
                busy ? "no root knows this instance, and processes still run in it (left alone)" : "no root knows this instance", Unowned: busy));
        }
        foreach (var mount in OrphanMounts(known)) result.Add(new HostOrphan("mount", mount, "under the directory of an instance no root knows"));
        return result;
    }

    /// <summary>Removes the orphans (unowned ones only with <paramref name="includeUnowned"/>), then forgets registered roots that are gone.</summary>
    public IReadOnlyList<HostOrphan> Prune(bool includeUnowned)
    {
        var orphans = Find().Where(o => includeUnowned || !o.Unowned).ToList();
        var removed = new List<HostOrphan>(engine.Networks.RemoveOrphans(orphans));
        foreach (var o in orphans.Where(o => o.Kind == "mount"))
            if (MountCalls.TryUmount(o.Name, MountCalls.MNT_DETACH) == 0) removed.Add(o);
        foreach (var o in orphans.Where(o => o.Kind == "cgroup" && !o.Reason.Contains("processes")))
            if (CgroupDirectories.TryRemoveEmpty(CgroupDirs(o.Name["/kapsel/".Length..]))) removed.Add(o);
        var left = Find();
        foreach (var (id, path) in StateRoots.List())
            if (StateRoots.StatusOf(id, engine.RootId) == RootStatus.Gone && !left.Any(o => o.Reason.Contains(path))) StateRoots.Forget(id);
        return removed;
    }

    /// <summary>Instance ids of this root and of every other registered root that still exists.</summary>
    private HashSet<string> KnownInstanceIds()
    {
        var ids = engine.Instances.List().Select(i => i.Id).ToHashSet();
        foreach (var (id, path) in StateRoots.List())
        {
            if (id == engine.RootId || StateRoots.StatusOf(id, engine.RootId) != RootStatus.Alive) continue;
            try
            {
                using var other = new KapselEngine(new KapselPaths(path, Path.Combine(path, "run")));
                ids.UnionWith(other.Instances.List().Select(i => i.Id));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // An unreadable root: treat every cgroup as possibly its own.
                ids.UnionWith(InstanceCgroups().Select(c => c.Id));
            }
        }
        return ids;
    }

    private static IEnumerable<(string Id, List<string> Dirs)> InstanceCgroups()
    {
        var byId = new Dictionary<string, List<string>>();
        foreach (var h in CgroupLayout.Detect().Hierarchies)
        {
            var parent = Path.Combine(h.MountPoint, "kapsel");
            if (!Directory.Exists(parent)) continue;
            foreach (var dir in Directory.GetDirectories(parent))
            {
                var id = Path.GetFileName(dir);
                if (id == "monitors") continue;
                (byId.TryGetValue(id, out var list) ? list : byId[id] = []).Add(dir);
            }
        }
        return byId.Select(e => (e.Key, e.Value));
    }

    private static IEnumerable<string> CgroupDirs(string id) =>
        CgroupLayout.Detect().Hierarchies.Select(h => Path.Combine(h.MountPoint, "kapsel", id)).Where(Directory.Exists);

    /// <summary>Mount points under ROOT/instances/ID of a gone root, or of this root for an id it does not know.</summary>
    private IEnumerable<string> OrphanMounts(HashSet<string> known)
    {
        var roots = StateRoots.List().Where(r => StateRoots.StatusOf(r.Id, engine.RootId) is RootStatus.Gone or RootStatus.Self)
            .Select(r => r.Path).Append(engine.Paths.Root).Distinct().ToList();
        foreach (var m in MountInfo.Own().Select(m => m.MountPoint).Reverse())
            foreach (var root in roots)
            {
                var instances = Path.Combine(root, "instances") + "/";
                if (!m.StartsWith(instances, StringComparison.Ordinal)) continue;
                var id = m[instances.Length..].Split('/')[0];
                if (!known.Contains(id) || root != engine.Paths.Root) yield return m;
            }
    }
}

using static Kapsel.Linux.Interop.MountCalls;
using static Kapsel.Linux.Interop.MountApiCalls;

namespace Kapsel.Oci.Spec;

/// <summary>
/// A mount's option strings split into mount(2) flags to set and clear, propagation changes,
/// and filesystem data (anything that is not a flag, e.g. "mode=755", "newinstance").
/// </summary>
public sealed class MountOptions
{
    public const ulong MS_I_VERSION = 1 << 23;

    private static readonly Dictionary<string, (bool Clear, ulong Flag)> FlagOptions = new()
    {
        ["async"] = (true, MS_SYNCHRONOUS), ["atime"] = (true, MS_NOATIME), ["bind"] = (false, MS_BIND),
        ["defaults"] = (false, 0), ["dev"] = (true, MS_NODEV), ["diratime"] = (true, MS_NODIRATIME),
        ["dirsync"] = (false, MS_DIRSYNC), ["exec"] = (true, MS_NOEXEC), ["iversion"] = (false, MS_I_VERSION),
        ["noiversion"] = (true, MS_I_VERSION), ["lazytime"] = (false, MS_LAZYTIME), ["nolazytime"] = (true, MS_LAZYTIME),
        ["loud"] = (true, MS_SILENT), ["mand"] = (false, MS_MANDLOCK), ["nomand"] = (true, MS_MANDLOCK),
        ["noatime"] = (false, MS_NOATIME), ["nodev"] = (false, MS_NODEV), ["nodiratime"] = (false, MS_NODIRATIME),
        ["noexec"] = (false, MS_NOEXEC), ["norelatime"] = (true, MS_RELATIME), ["nostrictatime"] = (true, MS_STRICTATIME),
        ["nosuid"] = (false, MS_NOSUID), ["nosymfollow"] = (false, MS_NOSYMFOLLOW), ["symfollow"] = (true, MS_NOSYMFOLLOW),
        ["rbind"] = (false, MS_BIND | MS_REC), ["relatime"] = (false, MS_RELATIME), ["remount"] = (false, MS_REMOUNT),
        ["ro"] = (false, MS_RDONLY), ["rw"] = (true, MS_RDONLY), ["silent"] = (false, MS_SILENT),
        ["strictatime"] = (false, MS_STRICTATIME), ["suid"] = (true, MS_NOSUID), ["sync"] = (false, MS_SYNCHRONOUS),
    };

    private static readonly Dictionary<string, ulong> PropagationOptions = new()
    {
        ["private"] = MS_PRIVATE, ["rprivate"] = MS_PRIVATE | MS_REC, ["shared"] = MS_SHARED, ["rshared"] = MS_SHARED | MS_REC,
        ["slave"] = MS_SLAVE, ["rslave"] = MS_SLAVE | MS_REC, ["unbindable"] = MS_UNBINDABLE, ["runbindable"] = MS_UNBINDABLE | MS_REC,
    };

    /// <summary>Every option name this runtime interprets itself (for <c>features</c>).</summary>
    public static IEnumerable<string> KnownNames =>
        FlagOptions.Keys.Concat(PropagationOptions.Keys).Concat(["idmap", "ridmap", "tmpcopyup", "notmpcopyup", "rro", "rrw", "rnosuid", "rnodev", "rnoexec"]).Order();

    public ulong Flags { get; private set; }
    public List<ulong> Propagation { get; } = [];
    public List<string> Data { get; } = [];
    /// <summary>"idmap" (the top mount) or "ridmap" (every mount of the tree): id-mapped bind mount.</summary>
    public bool Idmap { get; private set; }
    public bool IdmapRecursive { get; private set; }
    /// <summary>"tmpcopyup" (runc/crun extension, Podman's default for --tmpfs): the tmpfs starts with a copy of what it covers.</summary>
    public bool TmpCopyUp { get; private set; }
    /// <summary>
    /// MOUNT_ATTR_* bits that the recursive options (rro, rnosuid, rnoatime…) set and clear on the
    /// mount and every mount below it (mount_setattr with AT_RECURSIVE), which flags can't do.
    /// </summary>
    public ulong RecursiveSet { get; private set; }
    public ulong RecursiveClear { get; private set; }
    public bool IsBind => (Flags & MS_BIND) != 0;
    public bool IsReadonly => (Flags & MS_RDONLY) != 0;
    /// <summary>Flags that a bind mount only honours on a second MS_REMOUNT|MS_BIND pass.</summary>
    public ulong RemountFlags => Flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW);
    public string? DataString => Data.Count == 0 ? null : string.Join(",", Data);

    /// <summary>The mount_setattr attribute for a mount flag (null: flags with none, e.g. sync).</summary>
    private static ulong? AttributeOf(ulong flag) => flag switch
    {
        MS_RDONLY => MOUNT_ATTR_RDONLY, MS_NOSUID => MOUNT_ATTR_NOSUID, MS_NODEV => MOUNT_ATTR_NODEV,
        MS_NOEXEC => MOUNT_ATTR_NOEXEC, MS_NODIRATIME => MOUNT_ATTR_NODIRATIME, MS_NOSYMFOLLOW => MOUNT_ATTR_NOSYMFOLLOW,
        MS_NOATIME => MOUNT_ATTR_NOATIME, MS_RELATIME => MOUNT_ATTR_RELATIME, MS_STRICTATIME => MOUNT_ATTR_STRICTATIME,
        _ => null,
    };

    private void AddRecursive(ulong attr, bool clear)
    {
        if (attr is MOUNT_ATTR_NOATIME or MOUNT_ATTR_RELATIME or MOUNT_ATTR_STRICTATIME)
        {
            // The atime mode is one field: setting it needs MOUNT_ATTR__ATIME in the clear mask. "ratime"
            // and "rnostrictatime" fall back to the kernel's default (relatime); "rnorelatime" means strictatime.
            var mode = !clear ? attr : attr == MOUNT_ATTR_RELATIME ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
            RecursiveSet = (RecursiveSet & ~MOUNT_ATTR__ATIME) | mode;
            RecursiveClear |= MOUNT_ATTR__ATIME;
        }
        else if (clear) { RecursiveClear |= attr; RecursiveSet &= ~attr; }
        else { RecursiveSet |= attr; RecursiveClear &= ~attr; }
    }

    public static MountOptions Parse(IEnumerable<string>? options)
    {
        var result = new MountOptions();
        foreach (var raw in options ?? [])
        {
            var o = raw.Trim();
            if (o.Length == 0) continue;
            if (FlagOptions.TryGetValue(o, out var f))
            {
                result.Flags = f.Clear ? result.Flags & ~f.Flag : result.Flags | f.Flag;
            }
            else if (PropagationOptions.TryGetValue(o, out var p)) result.Propagation.Add(p);
            else if (o is "idmap" or "ridmap") { result.Idmap = true; result.IdmapRecursive |= o == "ridmap"; }
            else if (o is "tmpcopyup" or "notmpcopyup") result.TmpCopyUp = o == "tmpcopyup";
            else if (o.Length > 1 && o[0] == 'r' && FlagOptions.TryGetValue(o[1..], out var rf) && AttributeOf(rf.Flag) is { } attr)
                result.AddRecursive(attr, rf.Clear);
            else result.Data.Add(o);
        }
        return result;
    }
}

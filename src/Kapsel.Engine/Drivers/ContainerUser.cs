using System.Globalization;
using System.Text;
using Kapsel.Linux.Interop;

namespace Kapsel.Engine.Drivers;

/// <summary>
/// `-u USER[:GROUP]` / the image's User, resolved the way Docker does: names are looked up in the
/// instance's own /etc/passwd and /etc/group (read inside the root with RESOLVE_IN_ROOT, so a
/// hostile image's symlinks cannot make us read host files); numbers need no lookup; a user's
/// supplementary groups come from /etc/group.
/// </summary>
public sealed record ContainerUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string? Home)
{
    public static readonly ContainerUser Root = new(0, 0, [], "/root");

    /// <summary>The largest uid/gid accepted (as runc); 4294967295 is -1, "unchanged", to setresuid.</summary>
    public const uint MaxId = int.MaxValue;

    /// <summary>Refuses numeric ids out of range before anything is made (`-u`, `exec -u`, an image's User).</summary>
    public static void CheckSpec(string? spec, string what)
    {
        if (string.IsNullOrEmpty(spec)) return;
        foreach (var part in spec.Split(':', 2))
            if (part.Length > 0 && part.All(char.IsAsciiDigit) && (!ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id > MaxId))
                throw new KapselException($"{what} \"{Linux.ErrorText.Value(spec)}\": id {Linux.ErrorText.Value(part, 24)} is outside 0..{MaxId}");
    }

    public static ContainerUser Resolve(string rootfs, string? spec)
    {
        if (string.IsNullOrEmpty(spec)) spec = "0";
        CheckSpec(spec, "user");
        var parts = spec.Split(':', 2);
        var passwd = ReadInRoot(rootfs, "/etc/passwd");
        var groups = ReadInRoot(rootfs, "/etc/group");

        uint uid, gid;
        string? home = null, userName = null;
        var entry = Entries(passwd).FirstOrDefault(f => f.Length >= 7 && (f[0] == parts[0] || f[2] == parts[0]));
        if (uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            // Docker: a numeric uid takes its passwd entry's group, or 0 when it has none.
            gid = entry is not null && uint.TryParse(entry[3], out var g) ? g : 0;
        }
        else
        {
            if (entry is null) throw new KapselException($"unable to find user {parts[0]}: no matching entries in the instance's /etc/passwd");
            if (!uint.TryParse(entry[2], NumberStyles.None, CultureInfo.InvariantCulture, out uid) || !uint.TryParse(entry[3], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
                throw new KapselException($"user {parts[0]}: the instance's /etc/passwd entry has no valid uid/gid");
        }
        if (entry is not null) { home = entry[5]; userName = entry[0]; }

        if (parts.Length == 2)
        {
            if (!uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
            {
                var group = Entries(groups).FirstOrDefault(f => f.Length >= 3 && f[0] == parts[1])
                    ?? throw new KapselException($"unable to find group {parts[1]}: no matching entries in the instance's /etc/group");
                if (!uint.TryParse(group[2], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
                    throw new KapselException($"group {parts[1]}: the instance's /etc/group entry has no valid gid");
            }
        }
        var extra = userName is null ? [] : Entries(groups)
            .Where(f => f.Length >= 4 && f[3].Split(',').Contains(userName) && uint.TryParse(f[2], out _))
            .Select(f => uint.Parse(f[2], CultureInfo.InvariantCulture)).Where(g => g != gid).Distinct().ToList();
        // A hostile /etc/passwd may name -1 too.
        if (uid > MaxId || gid > MaxId || extra.Any(g => g > MaxId))
            throw new KapselException($"user \"{Linux.ErrorText.Value(spec)}\" resolves to an id outside 0..{MaxId}");
        return new ContainerUser(uid, gid, extra, home ?? (uid == 0 ? "/root" : "/"));
    }

    private static IEnumerable<string[]> Entries(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(':'));

    /// <summary>A small file inside the root, "" when missing; never follows links out of the root.</summary>
    private static string ReadInRoot(string rootfs, string path)
    {
        var dir = FileCalls.Open(rootfs, FileCalls.O_PATH | FileCalls.O_DIRECTORY);
        try
        {
            var fd = FileCalls.TryOpenAt2(dir, path, FileCalls.O_RDONLY, FileCalls.RESOLVE_IN_ROOT | FileCalls.RESOLVE_NO_MAGICLINKS);
            if (fd < 0) return "";
            try
            {
                var buffer = new byte[1 << 20];
                var n = FileCalls.ReadFull(fd, buffer);
                return Encoding.UTF8.GetString(buffer, 0, n);
            }
            finally { FileCalls.Close(fd); }
        }
        finally { FileCalls.Close(dir); }
    }
}

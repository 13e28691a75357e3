using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Oci.Spec;

namespace Kapsel.Engine.Instances;

/// <summary>
/// USER / --user: "name", "uid", "name:group", "uid:gid" resolved in the container's own
/// /etc/passwd and /etc/group (read with RESOLVE_IN_ROOT, so a planted symlink cannot point at
/// the host's files), as Docker does: a numeric uid needs no passwd entry; a user's primary
/// group comes from passwd unless a group is given; supplementary groups from /etc/group.
/// </summary>
public static class UserLookup
{
    public static UserSpec Resolve(string rootfs, string user)
    {
        var (u, g) = user.IndexOf(':') is var c and >= 0 ? (user[..c], user[(c + 1)..]) : (user, null);
        var passwd = ReadInRoot(rootfs, "etc/passwd").Select(l => l.Split(':')).Where(f => f.Length >= 4).ToList();
        var groups = ReadInRoot(rootfs, "etc/group").Select(l => l.Split(':')).Where(f => f.Length >= 3).ToList();

        uint uid, gid = 0;
        string? name = null;
        if (uint.TryParse(u, out uid))
        {
            var entry = passwd.FirstOrDefault(f => f[2] == u);
            if (entry is not null) { name = entry[0]; gid = uint.Parse(entry[3]); }
        }
        else
        {
            var entry = passwd.FirstOrDefault(f => f[0] == u)
                ?? throw new KapselException($"unable to find user {u}: no matching entries in the image's /etc/passwd");
            name = u;
            uid = uint.Parse(entry[2]);
            gid = uint.Parse(entry[3]);
        }
        if (g is { Length: > 0 })
        {
            if (!uint.TryParse(g, out gid))
                gid = uint.Parse((groups.FirstOrDefault(f => f[0] == g)
                    ?? throw new KapselException($"unable to find group {g}: no matching entries in the image's /etc/group"))[2]);
        }
        var extra = name is null ? [] : groups.Where(f => f.Length >= 4 && f[3].Split(',').Contains(name))
            .Select(f => uint.Parse(f[2])).Where(x => x != gid).Distinct().ToList();
        return new UserSpec { Uid = uid, Gid = gid, AdditionalGids = extra.Count > 0 ? extra : null };
    }

    private static IEnumerable<string> ReadInRoot(string rootfs, string path)
    {
        int rootFd = -1, fd = -1;
        try
        {
            rootFd = FileCalls.Open(rootfs, FileCalls.O_PATH | FileCalls.O_DIRECTORY);
            fd = FileCalls.TryOpenAt2(rootFd, path, FileCalls.O_RDONLY, FileCalls.RESOLVE_IN_ROOT | FileCalls.RESOLVE_NO_MAGICLINKS);
            if (fd < 0) return [];
            using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read);
            fd = -1;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        }
        finally
        {
            if (fd >= 0) FileCalls.Close(fd);
            FileCalls.Close(rootFd);
        }
    }
}

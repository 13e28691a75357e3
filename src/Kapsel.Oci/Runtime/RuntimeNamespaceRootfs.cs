using Kapsel.Linux.Interop;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// A container without a mount namespace of its own keeps its mounts in the runtime's, on a bind
/// of the rootfs onto itself. That bind is recognised by its mount ID (topmost mount at the rootfs
/// path), so cleanup never detaches a mount that was there before the container (an image overlay).
/// </summary>
internal static class RuntimeNamespaceRootfs
{
    /// <summary>The ID of the topmost mount at <paramref name="path"/> in this mount namespace; null if none is exactly there.</summary>
    public static int? TopMountId(string path)
    {
        int? id = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == path) id = int.Parse(fields[0]); // later lines are mounted on top
        }
        return id;
    }

    /// <summary>Detaches the container's bind (and every mount below it) if it is still the topmost at <paramref name="path"/>.</summary>
    public static void Detach(string path, int mountId)
    {
        if (TopMountId(path) == mountId) MountCalls.TryUmount(path, MountCalls.MNT_DETACH);
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }
}

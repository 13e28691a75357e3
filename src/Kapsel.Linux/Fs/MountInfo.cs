using System.Text;

namespace Kapsel.Linux.Fs;

/// <summary>The one /proc/PID/mountinfo parser (cgroup layout detection, the OCI runtime's own mounts).</summary>
public static class MountInfo
{
    public readonly record struct Entry(int Id, string Root, string MountPoint, string FsType, string SuperOptions);

    /// <summary>Entries in the file's order: a later entry at the same mount point is mounted on top.</summary>
    public static IEnumerable<Entry> Parse(string text)
    {
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 7 || separator < 0 || fields.Length < separator + 4 || !int.TryParse(fields[0], out var id)) continue;
            yield return new Entry(id, Unescape(fields[3]), Unescape(fields[4]), fields[separator + 1], fields[separator + 3]);
        }
    }

    /// <summary>The calling process's mounts.</summary>
    public static IEnumerable<Entry> Own() => Parse(File.ReadAllText("/proc/self/mountinfo"));

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo octal.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var bytes = new List<byte>();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length &&
                IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                bytes.Add((byte)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}

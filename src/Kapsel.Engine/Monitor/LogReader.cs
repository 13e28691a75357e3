using System.Text;

namespace Kapsel.Engine.Monitor;

/// <summary>One record of an instance log (see <see cref="LogWriter"/>).</summary>
public readonly record struct LogRecord(string Timestamp, string Stream, bool Partial, string Text);

/// <summary>Reads an instance's log: rotated files oldest first, then the live one; can follow it.</summary>
public static class LogReader
{
    public static LogRecord? Parse(string line)
    {
        var a = line.IndexOf(' ');
        var b = a < 0 ? -1 : line.IndexOf(' ', a + 1);
        if (b < 0 || b + 2 > line.Length) return null;
        var text = b + 3 <= line.Length ? line[(b + 3)..] : "";
        return new LogRecord(line[..a], line[(a + 1)..b], line[b + 1] == 'P', text);
    }

    /// <summary>All records now in the log files, oldest first.</summary>
    public static List<LogRecord> ReadAll(string path, int maxFiles)
    {
        var records = new List<LogRecord>();
        for (var i = maxFiles - 1; i >= 0; i--)
        {
            var file = i == 0 ? path : $"{path}.{i}";
            if (!File.Exists(file)) continue;
            using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), Encoding.UTF8);
            while (reader.ReadLine() is { } line)
                if (Parse(line) is { } r) records.Add(r);
        }
        return records;
    }

    /// <summary>
    /// Records appended to the live file after <paramref name="offset"/> until <paramref name="stillRunning"/>
    /// says no and nothing more arrives; follows rotation (the file is replaced) by reopening.
    /// </summary>
    public static IEnumerable<LogRecord> Follow(string path, long offset, Func<bool> stillRunning, CancellationToken stop = default)
    {
        FileStream? file = null;
        long inode = -1;
        var pending = new StringBuilder();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (file is null && File.Exists(path))
                {
                    file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    file.Seek(Math.Min(offset, file.Length), SeekOrigin.Begin);
                    inode = InodeOf(path);
                }
                var running = stillRunning(); // read before draining: nothing written after exit is missed
                var got = false;
                if (file is not null)
                {
                    var buffer = new byte[65536];
                    int n;
                    while ((n = file.Read(buffer)) > 0)
                    {
                        got = true;
                        pending.Append(Encoding.UTF8.GetString(buffer, 0, n));
                        var text = pending.ToString();
                        var last = text.LastIndexOf('\n');
                        if (last < 0) continue;
                        foreach (var line in text[..last].Split('\n'))
                            if (Parse(line) is { } r) yield return r;
                        pending.Clear().Append(text[(last + 1)..]);
                    }
                    if (InodeOf(path) is var now && now != inode && now != -1)
                    {
                        file.Dispose(); file = null; offset = 0; // rotated: the new file from its start
                        continue;
                    }
                }
                if (!got && !running) yield break;
                if (!got) Thread.Sleep(100);
            }
        }
        finally { file?.Dispose(); }
    }

    private static long InodeOf(string path) => Linux.Fs.FileStatus.Inode(path);
}

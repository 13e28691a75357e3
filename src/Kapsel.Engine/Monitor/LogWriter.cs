using System.Text;

namespace Kapsel.Engine.Monitor;

/// <summary>
/// An instance's output log in the CRI format Kubernetes and Podman (k8s-file) use — one line per
/// output line: "RFC3339NANO STREAM F|P TEXT", P marking a partial line — with size-based
/// rotation: at <c>maxSize</c> bytes the file becomes .1 (.1 becomes .2, ...), keeping
/// <c>maxFiles</c> files in all. Thread-safe: stdout and stderr pumps share one writer.
/// </summary>
public sealed class LogWriter : IDisposable
{
    private readonly string _path;
    private readonly long _maxSize;
    private readonly int _maxFiles;
    private readonly Lock _lock = new();
    private FileStream _file;

    public LogWriter(string path, long maxSize, int maxFiles)
    {
        (_path, _maxSize, _maxFiles) = (path, Math.Max(maxSize, 4096), Math.Max(maxFiles, 1));
        _file = Open();
    }

    private FileStream Open() => new(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>Writes one line (without its newline); <paramref name="partial"/> when the line continues in the next record.</summary>
    public void WriteLine(string stream, ReadOnlySpan<byte> text, bool partial)
    {
        var header = Encoding.ASCII.GetBytes($"{DateTime.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'} {stream} {(partial ? 'P' : 'F')} ");
        lock (_lock)
        {
            if (_file.Length + header.Length + text.Length + 1 > _maxSize && _file.Length > 0) Rotate();
            _file.Write(header);
            _file.Write(text);
            _file.WriteByte((byte)'\n');
            _file.Flush();
        }
    }

    private void Rotate()
    {
        _file.Dispose();
        if (_maxFiles == 1) File.Delete(_path);
        else
        {
            File.Delete($"{_path}.{_maxFiles - 1}");
            for (var i = _maxFiles - 2; i >= 1; i--)
                if (File.Exists($"{_path}.{i}")) File.Move($"{_path}.{i}", $"{_path}.{i + 1}");
            File.Move(_path, $"{_path}.1");
        }
        _file = Open();
    }

    /// <summary>Copies an fd (pipe or pty master) into the log line by line until EOF or EIO (and to <paramref name="tee"/>).</summary>
    public void Pump(int fd, string stream, Action<ReadOnlySpan<byte>>? tee = null)
    {
        var buffer = new byte[16384];
        var pending = new List<byte>();
        while (true)
        {
            int n;
            try { n = Linux.Interop.FileCalls.Read(fd, buffer); }
            catch (Linux.SyscallException) { n = 0; } // EIO: the pty's other side closed
            if (n <= 0) break;
            var span = buffer.AsSpan(0, n);
            tee?.Invoke(span); // attached clients get the raw bytes as they come
            int newline;
            while ((newline = span.IndexOf((byte)'\n')) >= 0)
            {
                pending.AddRange(span[..newline]);
                var line = pending.ToArray().AsSpan();
                if (line.Length > 0 && line[^1] == '\r') line = line[..^1]; // a pty's CRLF
                WriteLine(stream, line, partial: false);
                pending.Clear();
                span = span[(newline + 1)..];
            }
            pending.AddRange(span);
            if (pending.Count >= 16384) { WriteLine(stream, pending.ToArray(), partial: true); pending.Clear(); }
        }
        if (pending.Count > 0) WriteLine(stream, pending.ToArray(), partial: true);
    }

    public void Dispose()
    {
        lock (_lock) _file.Dispose();
    }
}

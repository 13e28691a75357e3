using System.Runtime.InteropServices;
using System.Text;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// Reads and writes cgroup control files. A write is one write(2) call, as the kernel parses each
/// write separately; failures become <see cref="CgroupException"/>s naming the file and value.
/// </summary>
internal static unsafe partial class CgroupFiles
{
    [LibraryImport(Sys.Libc, EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rmdir(string path);

    [LibraryImport(Sys.Libc, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdir(string path, int mode);

    public static void Write(string directory, string file, string value) => Write(System.IO.Path.Combine(directory, file), value);

    public static void Write(string path, string value)
    {
        int fd;
        try { fd = FileCalls.Open(path, FileCalls.O_WRONLY); }
        catch (SyscallException e) { throw new CgroupException($"write {path} = \"{value}\"", e.Errno, path); }
        try
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            fixed (byte* p = bytes)
            {
                while (Sys.Syscall(Sys.SYS_write, fd, (long)p, bytes.Length) < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != Errnos.EINTR) throw new CgroupException($"write {path} = \"{value}\"", errno, path);
                }
            }
        }
        finally { FileCalls.Close(fd); }
    }

    /// <summary>Reads a whole control file; throws naming the file.</summary>
    public static string Read(string directory, string file) => Read(System.IO.Path.Combine(directory, file));

    public static string Read(string path) =>
        TryRead(path, out var text, out var errno) ? text : throw new CgroupException($"read {path}", errno, path);

    /// <summary>Reads a control file, or null when it does not exist (an absent controller or feature).</summary>
    public static string? ReadOptional(string directory, string file)
    {
        var path = System.IO.Path.Combine(directory, file);
        if (TryRead(path, out var text, out var errno)) return text;
        if (errno is Errnos.ENOENT or Errnos.ENODEV or Errnos.EOPNOTSUPP) return null;
        throw new CgroupException($"read {path}", errno, path);
    }

    private static bool TryRead(string path, out string text, out int errno)
    {
        text = "";
        int fd;
        try { fd = FileCalls.Open(path, FileCalls.O_RDONLY); }
        catch (SyscallException e) { errno = e.Errno; return false; }
        try
        {
            var result = new MemoryStream();
            var buffer = new byte[8192];
            while (true)
            {
                int n;
                try { n = FileCalls.Read(fd, buffer); }
                catch (SyscallException e) { errno = e.Errno; return false; }
                if (n == 0) break;
                result.Write(buffer, 0, n);
            }
            text = Encoding.UTF8.GetString(result.GetBuffer(), 0, (int)result.Length);
            errno = 0;
            return true;
        }
        finally { FileCalls.Close(fd); }
    }

    public static bool Exists(string directory, string file) => File.Exists(System.IO.Path.Combine(directory, file));

    /// <summary>mkdir(2); returns false if the directory already existed.</summary>
    public static bool MakeDirectory(string path)
    {
        if (mkdir(path, 0x1ed /* 0755 */) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Errnos.EEXIST) return false;
        throw new CgroupException($"mkdir {path}", errno, path);
    }

    /// <summary>rmdir(2); returns the errno (0 on success).</summary>
    public static int RemoveDirectory(string path) => rmdir(path) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Parses "key value" lines (memory.stat, cpu.stat, cgroup.events, ...).</summary>
    public static Dictionary<string, ulong> ParseKeyValues(string? text)
    {
        var result = new Dictionary<string, ulong>();
        if (text is null) return result;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && ulong.TryParse(parts[1], out var v)) result[parts[0]] = v;
        }
        return result;
    }

    /// <summary>Parses a single number; "max" (v2) and v1's near-2^63 "unlimited" become null.</summary>
    public static ulong? ParseLimit(string? text)
    {
        if (text is null) return null;
        var t = text.Trim();
        if (t == "max" || !ulong.TryParse(t, out var v)) return null;
        return v >= 0x7FFFFFFFFFFFF000 ? null : v;
    }

    public static ulong ParseNumber(string? text) => text is not null && ulong.TryParse(text.Trim(), out var v) ? v : 0;

    /// <summary>The pids listed in cgroup.procs of a directory and all its descendants.</summary>
    public static void CollectPids(string directory, ISet<int> into)
    {
        var procs = ReadOptional(directory, "cgroup.procs");
        if (procs is null) return;
        foreach (var line in procs.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(line, out var pid)) into.Add(pid);
        foreach (var child in SafeSubdirectories(directory)) CollectPids(child, into);
    }

    public static IEnumerable<string> SafeSubdirectories(string directory)
    {
        try { return Directory.GetDirectories(directory); }
        catch (DirectoryNotFoundException) { return []; }
    }
}

using System.Text;

namespace Kapsel.Linux.Fs;

/// <summary>
/// Reads a small text file a user named (an env file, a Containerfile, a .dockerignore), at most
/// <c>maxBytes</c>: `--env-file /dev/zero` must fail at once, not take gigabytes of memory.
/// </summary>
public static class BoundedFile
{
    public const int DefaultMaxBytes = 1 << 20;

    public static string ReadText(string path, string what, int maxBytes = DefaultMaxBytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var buffer = new byte[Math.Min(maxBytes + 1L, 64 * 1024)];
        using var text = new MemoryStream();
        int n;
        while ((n = f.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (text.Length + n > maxBytes)
                throw new IOException($"{what} \"{ErrorText.Value(path)}\" is larger than {maxBytes / 1024} KiB");
            text.Write(buffer, 0, n);
        }
        return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }
}

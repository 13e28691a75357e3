using System.Runtime.InteropServices;

namespace Kapsel.Linux.Interop;

/// <summary>
/// Terminal modes and sizes: raw mode while a container's pty is relayed to the user's terminal
/// (keys go to the container unprocessed, as with docker -it), and window-size propagation.
/// </summary>
public static unsafe partial class TerminalMode
{
    private const ulong TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;
    private const int TCSANOW = 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct Termios
    {
        public uint Iflag, Oflag, Cflag, Lflag;
        public byte Line;
        public fixed byte Cc[32];
        public uint Ispeed, Ospeed;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize { public ushort Rows, Cols, XPixel, YPixel; }

    [LibraryImport(Sys.Libc, EntryPoint = "isatty")] private static partial int isatty(int fd);
    [LibraryImport(Sys.Libc, EntryPoint = "tcgetattr", SetLastError = true)] private static partial int tcgetattr(int fd, Termios* t);
    [LibraryImport(Sys.Libc, EntryPoint = "tcsetattr", SetLastError = true)] private static partial int tcsetattr(int fd, int action, Termios* t);
    [LibraryImport(Sys.Libc, EntryPoint = "cfmakeraw")] private static partial void cfmakeraw(Termios* t);
    [LibraryImport(Sys.Libc, EntryPoint = "ioctl", SetLastError = true)] private static partial int ioctl(int fd, ulong request, WinSize* size);

    public static bool IsTerminal(int fd) => isatty(fd) == 1;

    /// <summary>Puts a terminal in raw mode until disposed; null (nothing to undo) when fd is not a terminal.</summary>
    public static IDisposable? Raw(int fd)
    {
        if (!IsTerminal(fd)) return null;
        Termios saved;
        if (tcgetattr(fd, &saved) != 0) return null;
        var raw = saved;
        cfmakeraw(&raw);
        tcsetattr(fd, TCSANOW, &raw);
        return new Restore(fd, saved);
    }

    /// <summary>Copies the window size of terminal <paramref name="from"/> to <paramref name="to"/> (a pty master); false if there is none.</summary>
    public static bool CopyWindowSize(int from, int to)
    {
        WinSize size;
        if (ioctl(from, TIOCGWINSZ, &size) != 0 || size.Rows == 0) return false;
        return ioctl(to, TIOCSWINSZ, &size) == 0;
    }

    private sealed class Restore(int fd, Termios saved) : IDisposable
    {
        public void Dispose()
        {
            var t = saved;
            tcsetattr(fd, TCSANOW, &t);
        }
    }
}

namespace Kapsel.Cli;

/// <summary>
/// One status line for long work (apt, debootstrap, downloads), redrawn in place on stderr when
/// stdout is a terminal; silent otherwise so scripted output stays clean.
/// </summary>
public sealed class Progress
{
    private readonly bool _enabled = !Console.IsOutputRedirected && !Console.IsErrorRedirected;
    private bool _shown;
    private DateTime _started = DateTime.UtcNow;

    public void Report(string message)
    {
        if (!_enabled) return;
        if (!_shown) _started = DateTime.UtcNow;
        var elapsed = DateTime.UtcNow - _started;
        var width = Math.Max(20, SafeWidth() - 12);
        var text = message.Length > width ? message[..(width - 1)] + "…" : message;
        Console.Error.Write($"\r\x1b[K{Spinner(elapsed)} {text} [{elapsed:mm\\:ss}]");
        _shown = true;
    }

    public void Done()
    {
        if (!_shown) return;
        Console.Error.Write("\r\x1b[K");
        _shown = false;
    }

    private static char Spinner(TimeSpan t) => "|/-\\"[(int)(t.TotalMilliseconds / 250) % 4];

    private static int SafeWidth()
    {
        try { return Console.WindowWidth; } catch { return 80; }
    }
}

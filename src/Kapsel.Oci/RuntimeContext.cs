using Kapsel.Oci.Runtime;

namespace Kapsel.Oci;

/// <summary>Global flags and output streams of one runtime invocation.</summary>
public sealed class RuntimeContext
{
    public string Root { get; set; } = "/run/kapsel-runc";
    public string? LogPath { get; set; }
    public string LogFormat { get; set; } = "text";
    public bool Debug { get; set; }
    public bool SystemdCgroup { get; set; }
    public TextWriter Out { get; set; } = Console.Out;
    public TextWriter Err { get; set; } = Console.Error;

    public StateStore Store => new(Root);

    public void Warn(string message) => Log("warning", message);
    public void Error(string message) => Log("error", message);
    public void DebugLog(string message) { if (Debug) Log("debug", message); }

    /// <summary>
    /// Writes to --log in runc's formats (containerd parses the json one: {"level","msg","time"}),
    /// and warnings/errors also to stderr.
    /// </summary>
    public void Log(string level, string message)
    {
        if (level != "debug") Err.WriteLine(level == "error" ? message : $"{level}: {message}");
        if (LogPath is null) return;
        var time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffK");
        var line = LogFormat == "json"
            ? $"{{\"level\":\"{level}\",\"msg\":{System.Text.Json.JsonSerializer.Serialize(message, Spec.OciJsonContext.Default.String)},\"time\":\"{time}\"}}"
            : $"time=\"{time}\" level={level} msg=\"{message.Replace("\"", "\\\"")}\"";
        try { File.AppendAllText(LogPath, line + "\n"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Err.WriteLine($"cannot write log {LogPath}: {e.Message}"); }
    }
}

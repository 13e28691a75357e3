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

    /// <summary>Reports collected warnings; those marked with <see cref="SeccompBinding.DebugPrefix"/> only at debug level.</summary>
    public void WarnAll(IEnumerable<string> warnings)
    {
        foreach (var w in warnings)
            if (w.StartsWith(SeccompBinding.DebugPrefix, StringComparison.Ordinal)) DebugLog(w[SeccompBinding.DebugPrefix.Length..]);
            else Warn(w);
    }
    public void Error(string message) => Log("error", message);
    public void DebugLog(string message) { if (Debug) Log("debug", message); }

    /// <summary>
    /// Writes to --log in runc's formats (containerd parses the json one: {"level","msg","time"}).
    /// As runc: errors also go to stderr; warnings go to stderr only without --log (a client's
    /// console, e.g. conmon's, must not fill with them).
    /// </summary>
    public void Log(string level, string message)
    {
        if (level == "error" || level == "warning" && LogPath is null) Err.WriteLine(level == "error" ? message : $"{level}: {message}");
        if (LogPath is null) return;
        var time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffK");
        var line = LogFormat == "json"
            ? $"{{\"level\":\"{level}\",\"msg\":{System.Text.Json.JsonSerializer.Serialize(message, Spec.OciJsonContext.Default.String)},\"time\":\"{time}\"}}"
            : $"time=\"{time}\" level={level} msg=\"{message.Replace("\"", "\\\"")}\"";
        try { File.AppendAllText(LogPath, line + "\n"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Err.WriteLine($"cannot write log {LogPath}: {e.Message}"); }
    }
}

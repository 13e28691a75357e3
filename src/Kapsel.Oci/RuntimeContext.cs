using Kapsel.Linux.Cgroups;
using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;

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

    private CgroupLayout? _cgroupLayout;
    private (string Path, string Json, RuntimeSpec Spec, List<string> Warnings)? _config;

    /// <summary>The host's cgroup layout, read once per invocation (mountinfo is the costly part).</summary>
    public CgroupLayout CgroupLayout => _cgroupLayout ??= CgroupLayout.Detect();

    /// <summary>
    /// A bundle's config.json, read and parsed once for `run`, which looks at process.terminal before
    /// create: a load with <paramref name="keep"/> is handed to the next load of the same path, which
    /// consumes it (a later create of a rewritten config reads it afresh).
    /// </summary>
    internal (string Json, RuntimeSpec Spec, List<string> Warnings) LoadConfig(string path, bool keep = false)
    {
        if (_config is { } c && c.Path == path)
        {
            if (!keep) _config = null;
            return (c.Json, c.Spec, c.Warnings);
        }
        string json;
        try { json = File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { throw new OciException($"config.json: not found at {path}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new OciException($"config.json: cannot read {path}: {e.Message}"); }
        var warnings = new List<string>();
        var spec = SpecLoader.Parse(json, warnings);
        if (keep) _config = (path, json, spec, warnings);
        return (json, spec, warnings);
    }

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
        message = Linux.ErrorText.OneLine(message);
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

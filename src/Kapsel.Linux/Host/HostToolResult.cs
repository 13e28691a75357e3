namespace Kapsel.Linux.Host;

/// <summary>What a host tool run by <see cref="HostTools.Run"/> printed (each stream cut at the run's output bound) and its exit code.</summary>
public sealed record HostToolResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>
    /// One line explaining a failure: the first stderr line that looks like an error (nft and apt
    /// print "Error:"/"E:"), else the last non-empty line of stderr or stdout, cut to 300 characters with control bytes
    /// escaped (<see cref="ErrorText"/>: a tool's output must not drive the user's terminal).
    /// </summary>
    public string ErrorLine
    {
        get
        {
            var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var line = lines.FirstOrDefault(l => l.Contains("Error", StringComparison.Ordinal) || l.StartsWith("E:", StringComparison.Ordinal))
                       ?? lines.LastOrDefault()
                       ?? Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                       ?? $"exit code {ExitCode}";
            return ErrorText.OneLine(line, 300);
        }
    }
}

namespace Kapsel.Oci;

/// <summary>Signal names and numbers as `kill` accepts them: "KILL", "SIGKILL", "9", "RTMIN+3".</summary>
public static class Signals
{
    private static readonly string[] Names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];

    public static int Parse(string text)
    {
        var s = text.Trim().ToUpperInvariant();
        if (int.TryParse(s, out var n))
            return n is > 0 and <= 64 ? n : throw new OciException($"kill: invalid signal number {text}");
        if (s.StartsWith("SIG", StringComparison.Ordinal)) s = s[3..];
        if (s == "IOT") return 6;
        if (s == "CLD") return 17;
        if (s == "POLL") return 29;
        var i = Array.IndexOf(Names, s);
        if (i > 0) return i;
        if (s.StartsWith("RTMIN", StringComparison.Ordinal))
        {
            var off = s.Length == 5 ? 0 : int.TryParse(s[5..], out var k) ? k : -1;
            if (off is >= 0 and <= 30) return 34 + off;
        }
        if (s.StartsWith("RTMAX", StringComparison.Ordinal))
        {
            var off = s.Length == 5 ? 0 : int.TryParse(s[5..], out var k) ? k : 1;
            if (off is <= 0 and >= -30) return 64 + off;
        }
        throw new OciException($"kill: unknown signal \"{text}\"");
    }
}

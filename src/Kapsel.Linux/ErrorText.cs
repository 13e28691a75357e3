using System.Text;

namespace Kapsel.Linux;

/// <summary>
/// How an error reaches a terminal: one line, long values cut, control and invalid bytes shown
/// as escapes (a hostile config or archive must not flood or drive the user's terminal).
/// </summary>
public static class ErrorText
{
    /// <summary>The longest message printed; the rest is cut with "…".</summary>
    public const int MaxLength = 600;

    public static string OneLine(string message, int maxLength = MaxLength)
    {
        var b = new StringBuilder(Math.Min(message.Length, maxLength + 16));
        foreach (var rune in message.EnumerateRunes())
        {
            if (b.Length >= maxLength) { b.Append('…'); break; }
            if (rune.Value is '\n' or '\r') { if (b.Length > 0 && b[^1] != ' ') b.Append(' '); continue; }
            if (rune.Value == '\t') b.Append(' ');
            else if (Rune.IsControl(rune) || rune == Rune.ReplacementChar) b.Append(rune.Value < 0x100 ? $"\\x{rune.Value:x2}" : $"\\u{rune.Value:x4}");
            else b.Append(rune.ToString());
        }
        return b.ToString().TrimEnd();
    }

    /// <summary>A value quoted inside a message, cut to <paramref name="maxLength"/> characters.</summary>
    public static string Value(string? value, int maxLength = 80) =>
        value is null ? "null" : OneLine(value.Length > maxLength ? value[..maxLength] + "…" : value, maxLength + 40);
}

using System.Text;

namespace Kapsel.Images.Build;

/// <summary>
/// Docker's word processing for instruction arguments: variable substitution ($VAR, ${VAR},
/// ${VAR:-default}, ${VAR-default}, ${VAR:+alt}, ${VAR+alt}, ${VAR:?msg}), single quotes
/// (literal), double quotes (substitution, no splitting), the escape character, and splitting
/// into words on unquoted whitespace.
/// </summary>
public sealed class ShellWords(Func<string, string?> lookup, char escape = '\\')
{
    /// <summary>Split into words with quotes removed and variables expanded.</summary>
    public List<string> Words(string text) => Process(text, split: true);

    /// <summary>The whole text as one word (whitespace kept), quotes removed and variables expanded.</summary>
    public string Word(string text) => string.Concat(Process(text, split: false));

    private List<string> Process(string text, bool split)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (split && char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                i++;
                continue;
            }
            inWord = true;
            if (c == escape)
            {
                if (i + 1 < text.Length) { word.Append(text[i + 1]); i += 2; }
                else { word.Append(c); i++; }
                continue;
            }
            if (c == '\'')
            {
                var end = text.IndexOf('\'', i + 1);
                if (end < 0) throw new ImageException($"unexpected end of text: missing closing ' in {text}");
                word.Append(text, i + 1, end - i - 1);
                i = end + 1;
                continue;
            }
            if (c == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new ImageException($"unexpected end of text: missing closing \" in {text}");
                    var d = text[i];
                    if (d == '"') { i++; break; }
                    if (d == escape && i + 1 < text.Length && text[i + 1] is '"' or '$' || d == escape && i + 1 < text.Length && text[i + 1] == escape)
                    {
                        word.Append(text[i + 1]);
                        i += 2;
                        continue;
                    }
                    if (d == '$') { i = Expand(text, i, word); continue; }
                    word.Append(d);
                    i++;
                }
                continue;
            }
            if (c == '$') { i = Expand(text, i, word); continue; }
            word.Append(c);
            i++;
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>Expands the variable reference at text[i] ('$') into word; returns the index after it.</summary>
    private int Expand(string text, int i, StringBuilder word)
    {
        if (i + 1 >= text.Length) { word.Append('$'); return i + 1; }
        var next = text[i + 1];
        if (next == '{')
        {
            var close = FindClose(text, i + 2);
            if (close < 0) throw new ImageException($"missing '}}' in {text}");
            var inner = text[(i + 2)..close];
            var nameEnd = 0;
            while (nameEnd < inner.Length && (char.IsAsciiLetterOrDigit(inner[nameEnd]) || inner[nameEnd] == '_')) nameEnd++;
            var name = inner[..nameEnd];
            if (name.Length == 0) throw new ImageException($"bad substitution ${{{inner}}}");
            var op = inner[nameEnd..];
            var value = lookup(name);
            if (op.Length == 0) { word.Append(value); return close + 1; }
            string Arg(int skip) => new ShellWords(lookup, escape).Word(op[skip..]);
            switch (op)
            {
                case var o when o.StartsWith(":-"): word.Append(string.IsNullOrEmpty(value) ? Arg(2) : value); break;
                case var o when o.StartsWith(":+"): word.Append(string.IsNullOrEmpty(value) ? "" : Arg(2)); break;
                case var o when o.StartsWith(":?"):
                    if (string.IsNullOrEmpty(value)) throw new ImageException($"{name}: {(o.Length > 2 ? Arg(2) : "is not set")}");
                    word.Append(value); break;
                case var o when o.StartsWith('-'): word.Append(value ?? Arg(1)); break;
                case var o when o.StartsWith('+'): word.Append(value is null ? "" : Arg(1)); break;
                case var o when o.StartsWith('?'):
                    if (value is null) throw new ImageException($"{name}: {(o.Length > 1 ? Arg(1) : "is not set")}");
                    word.Append(value); break;
                default: throw new ImageException($"unsupported modifier ({op}) in substitution ${{{inner}}}");
            }
            return close + 1;
        }
        if (char.IsAsciiLetter(next) || next == '_')
        {
            var j = i + 1;
            while (j < text.Length && (char.IsAsciiLetterOrDigit(text[j]) || text[j] == '_')) j++;
            word.Append(lookup(text[(i + 1)..j]));
            return j;
        }
        word.Append('$');
        return i + 1;
    }

    private static int FindClose(string text, int from)
    {
        var depth = 1;
        for (var j = from; j < text.Length; j++)
        {
            if (text[j] == '{') depth++;
            else if (text[j] == '}' && --depth == 0) return j;
        }
        return -1;
    }

    /// <summary>KEY=VALUE words (ENV, LABEL, ARG); the legacy `ENV KEY VALUE...` form when the first word has no '='.</summary>
    public List<(string Key, string? Value)> Pairs(string text, bool legacyForm, bool valueOptional)
    {
        var words = Words(text);
        var result = new List<(string, string?)>();
        if (words.Count == 0) return result;
        if (legacyForm && !words[0].Contains('='))
        {
            var trimmed = text.TrimStart();
            var sp = trimmed.IndexOfAny([' ', '\t']);
            if (sp < 0) throw new ImageException($"{words[0]} needs a value (KEY VALUE or KEY=VALUE)");
            result.Add((words[0], Word(trimmed[(sp + 1)..].Trim())));
            return result;
        }
        foreach (var w in words)
        {
            var eq = w.IndexOf('=');
            if (eq == 0) throw new ImageException($"\"{w}\": empty name");
            if (eq < 0)
            {
                if (!valueOptional) throw new ImageException($"\"{w}\" must be KEY=VALUE");
                result.Add((w, null));
            }
            else result.Add((w[..eq], w[(eq + 1)..]));
        }
        return result;
    }
}

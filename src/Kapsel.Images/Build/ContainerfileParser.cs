using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kapsel.Images.Build;

/// <summary>
/// Reads a Containerfile/Dockerfile the way Docker's parser does: parser directives at the very
/// top (`# syntax=`, `# escape=`), comment lines (also inside continuations), lines joined at a
/// trailing escape character, `--flag=value` options, and JSON or shell argument forms. Errors
/// name the file and line.
/// </summary>
public static partial class ContainerfileParser
{
    public static readonly HashSet<string> Keywords =
    [
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
        "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    ];

    /// <summary>Instructions whose JSON form is an argv (others take the text as is).</summary>
    private static readonly HashSet<string> JsonForms = ["RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"];

    /// <summary>Options each instruction understands (others are an error, as in Docker).</summary>
    private static readonly Dictionary<string, string[]> KnownFlags = new()
    {
        ["FROM"] = ["platform"],
        ["COPY"] = ["from", "chown", "chmod", "link", "parents", "exclude"],
        ["ADD"] = ["chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"],
        ["RUN"] = ["mount", "network", "security"],
        ["HEALTHCHECK"] = ["interval", "timeout", "start-period", "start-interval", "retries"],
    };

    [GeneratedRegex(@"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")]
    private static partial Regex DirectiveRegex();

    public static Containerfile ParseFile(string path)
    {
        try { return Parse(Kapsel.Linux.Fs.BoundedFile.ReadText(path, "Containerfile"), Path.GetFileName(path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ImageException(e.Message, e); }
    }

    public static Containerfile Parse(string text, string fileName = "Containerfile")
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var escape = '\\';
        string? syntax = null;
        var i = 0;

        // Parser directives: only before any instruction, comment or blank line.
        var seen = new HashSet<string>();
        for (; i < lines.Length; i++)
        {
            var m = DirectiveRegex().Match(lines[i]);
            if (!m.Success) break;
            var key = m.Groups[1].Value.ToLowerInvariant();
            if (key is not ("escape" or "syntax" or "check")) break; // an ordinary comment
            if (!seen.Add(key)) throw new ContainerfileException(fileName, i + 1, $"only one \"{key}\" parser directive can be used");
            var value = m.Groups[2].Value;
            if (key == "escape")
            {
                if (value is not ("\\" or "`")) throw new ContainerfileException(fileName, i + 1, $"invalid escape character \"{value}\" (\\ or `)");
                escape = value[0];
            }
            else if (key == "syntax") syntax = value;
        }

        var instructions = new List<Instruction>();
        while (i < lines.Length)
        {
            var raw = lines[i];
            var trimmed = raw.TrimStart();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) { i++; continue; }
            var startLine = i + 1;
            var logical = new System.Text.StringBuilder();
            var current = raw;
            while (true)
            {
                var body = current.TrimEnd();
                if (body.EndsWith(escape))
                {
                    logical.Append(body, 0, body.Length - 1);
                    i++;
                    // Skip comment and empty lines inside a continuation.
                    while (i < lines.Length && (lines[i].TrimStart().StartsWith('#') || lines[i].Trim().Length == 0)) i++;
                    if (i >= lines.Length) break;
                    current = lines[i];
                    continue;
                }
                logical.Append(current);
                i++;
                break;
            }
            instructions.Add(ParseInstruction(logical.ToString().Trim(), startLine, fileName));
        }

        var globals = new List<Instruction>();
        var firstFrom = instructions.FindIndex(x => x.Keyword == "FROM");
        if (firstFrom < 0)
        {
            var line = instructions.FirstOrDefault(x => x.Keyword != "ARG")?.Line ?? 0;
            throw new ContainerfileException(fileName, line, instructions.Count == 0 ? "no instructions (file is empty)" : "no FROM instruction: a build must start with FROM");
        }
        foreach (var x in instructions.Take(firstFrom))
        {
            if (x.Keyword != "ARG") throw new ContainerfileException(fileName, x.Line, $"{x.Keyword} before the first FROM (only ARG may come before FROM)");
            globals.Add(x);
        }
        return new Containerfile(fileName, escape, syntax, globals, instructions.Skip(firstFrom).ToList());
    }

    /// <summary>One logical line (continuations joined) → an instruction.</summary>
    public static Instruction ParseInstruction(string line, int lineNumber, string fileName = "Containerfile")
    {
        var sp = line.IndexOfAny([' ', '\t']);
        var keyword = (sp < 0 ? line : line[..sp]).ToUpperInvariant();
        var rest = sp < 0 ? "" : line[(sp + 1)..].Trim();
        if (!Keywords.Contains(keyword))
            throw new ContainerfileException(fileName, lineNumber, $"unknown instruction: {(sp < 0 ? line : line[..sp])}");

        var flags = new Dictionary<string, string>();
        while (rest.StartsWith("--"))
        {
            var end = rest.IndexOfAny([' ', '\t']);
            var word = end < 0 ? rest : rest[..end];
            rest = end < 0 ? "" : rest[(end + 1)..].TrimStart();
            var eq = word.IndexOf('=');
            var name = eq < 0 ? word[2..] : word[2..eq];
            var value = eq < 0 ? "true" : word[(eq + 1)..];
            if (!KnownFlags.TryGetValue(keyword, out var known) || !known.Contains(name))
                throw new ContainerfileException(fileName, lineNumber, $"{keyword}: unknown flag --{name}");
            flags[name] = value;
        }

        IReadOnlyList<string>? json = null;
        if (JsonForms.Contains(keyword) && rest.StartsWith('['))
        {
            try
            {
                json = JsonSerializer.Deserialize(rest, BuildJsonContext.Default.ListString);
            }
            catch (JsonException)
            {
                json = null; // not valid JSON: Docker falls back to the shell form
            }
        }

        if (rest.Length == 0 && keyword is not ("CMD" or "ENTRYPOINT" or "HEALTHCHECK"))
            throw new ContainerfileException(fileName, lineNumber, $"{keyword} requires at least one argument");
        if (keyword == "SHELL" && json is null)
            throw new ContainerfileException(fileName, lineNumber, "SHELL requires the JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]");
        if (keyword == "SHELL" && json!.Count == 0)
            throw new ContainerfileException(fileName, lineNumber, "SHELL needs at least the shell executable");
        return new Instruction(keyword, rest, json, flags, lineNumber, line);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(BuildCacheEntry))]
public sealed partial class BuildJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

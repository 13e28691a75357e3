using System.Text;
using System.Text.RegularExpressions;

namespace Kapsel.Images.Build;

/// <summary>
/// Docker's path patterns (Go filepath.Match plus `**`): `*` and `?` stay within one path
/// component, `[a-z]`/`[!a]` classes, `**` spans components, the escape character quotes.
/// Used by .dockerignore and by COPY/ADD source wildcards.
/// </summary>
public sealed class PathGlob
{
    private readonly Regex _regex;

    public string Pattern { get; }

    public PathGlob(string pattern)
    {
        Pattern = pattern;
        _regex = new Regex("^" + ToRegex(pattern) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    public bool Matches(string path) => _regex.IsMatch(path);

    public static bool HasWildcards(string path) => path.IndexOfAny(['*', '?', '[']) >= 0;

    /// <summary>"./a//b/" → "a/b"; "/" or "." → "".</summary>
    public static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (var p in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p == ".") continue;
            if (p == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else parts.Add("..");
                continue;
            }
            parts.Add(p);
        }
        return string.Join('/', parts);
    }

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') { i++; sb.Append("(?:.*/)?"); }
                    else sb.Append(".*");
                    break;
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0) throw new ImageException($"invalid pattern \"{pattern}\": unterminated [");
                    var cls = pattern[(i + 1)..end];
                    if (cls.StartsWith('!') || cls.StartsWith('^')) cls = "^" + cls[1..];
                    sb.Append('[').Append(cls.Replace("\\", "\\\\")).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return sb.ToString();
    }
}

/// <summary>
/// The build context's .dockerignore (or .containerignore): patterns in order, `!` re-includes,
/// the last matching pattern wins, and a pattern matching a directory excludes what is below it.
/// </summary>
public sealed class ContextFilter
{
    private readonly List<(PathGlob Glob, bool Exclude)> _rules = [];

    public static readonly ContextFilter None = new([]);

    public ContextFilter(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var exclude = !line.StartsWith('!');
            if (!exclude) line = line[1..].Trim();
            var cleaned = PathGlob.Clean(line);
            if (cleaned.Length == 0) continue;
            _rules.Add((new PathGlob(cleaned), exclude));
        }
    }

    public static ContextFilter Load(string contextDir, string? containerfile = null)
    {
        // Containerfile-specific ignore file first (NAME.dockerignore next to it), as BuildKit does.
        var candidates = new List<string>();
        if (containerfile is not null) candidates.Add(containerfile + ".dockerignore");
        candidates.Add(Path.Combine(contextDir, ".containerignore"));
        candidates.Add(Path.Combine(contextDir, ".dockerignore"));
        var file = candidates.FirstOrDefault(File.Exists);
        return file is null ? None : new ContextFilter(Kapsel.Linux.Fs.BoundedFile.ReadText(file, ".dockerignore").Split('\n').Select(l => l.TrimEnd('\r')).ToArray());
    }

    public bool IsEmpty => _rules.Count == 0;

    /// <summary>With `!` rules an excluded directory may still hold included files, so walkers must descend.</summary>
    public bool HasExceptions => _rules.Any(r => !r.Exclude);

    /// <summary>Is the context-relative path (cleaned, '/'-separated) excluded?</summary>
    public bool IsExcluded(string relPath)
    {
        if (_rules.Count == 0 || relPath.Length == 0) return false;
        var excluded = false;
        // The path itself and each parent directory: "a/b/c" is also matched by a rule for "a" or "a/b".
        var prefixes = new List<string>();
        for (var i = relPath.IndexOf('/'); i >= 0; i = relPath.IndexOf('/', i + 1)) prefixes.Add(relPath[..i]);
        prefixes.Add(relPath);
        foreach (var (glob, exclude) in _rules)
            if (prefixes.Any(glob.Matches)) excluded = exclude;
        return excluded;
    }
}

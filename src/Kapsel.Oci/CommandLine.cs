namespace Kapsel.Oci;

/// <summary>
/// runc-style argument parsing: "--flag value", "--flag=value", "-flag", short aliases, and flags
/// after the positional arguments (urfave/cli accepts them there too). Repeated flags accumulate.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new();
    public List<string> Positionals { get; } = [];

    /// <param name="valueFlags">Flags taking a value, with aliases as "name|alias".</param>
    /// <param name="boolFlags">Switches, with aliases as "name|alias".</param>
    public static CommandLine Parse(IReadOnlyList<string> args, string command, string[] valueFlags, string[] boolFlags)
    {
        var result = new CommandLine();
        var values = Aliases(valueFlags);
        var bools = Aliases(boolFlags);
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--") { result.Positionals.AddRange(args.Skip(i + 1)); break; }
            if (a.Length < 2 || a[0] != '-') { result.Positionals.Add(a); continue; }
            var name = a.TrimStart('-');
            string? inline = null;
            var eq = name.IndexOf('=');
            if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            if (values.TryGetValue(name, out var canonical))
            {
                var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new OciException($"{command}: flag --{name} needs a value"));
                result.Add(canonical, value);
            }
            else if (bools.TryGetValue(name, out canonical))
            {
                if (inline is not null && inline is not ("true" or "false")) throw new OciException($"{command}: flag --{name} takes no value");
                if (inline != "false") result.Add(canonical, "true");
            }
            else throw new OciException($"{command}: unknown flag {a}");
        }
        return result;
    }

    private static Dictionary<string, string> Aliases(string[] flags)
    {
        var map = new Dictionary<string, string>();
        foreach (var f in flags)
        {
            var names = f.Split('|');
            foreach (var n in names) map[n] = names[0];
        }
        return map;
    }

    private void Add(string name, string value)
    {
        if (!_values.TryGetValue(name, out var list)) _values[name] = list = [];
        list.Add(value);
    }

    public bool Has(string name) => _values.ContainsKey(name);
    public string? Get(string name) => _values.TryGetValue(name, out var l) ? l[^1] : null;
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var l) ? l : [];

    public int GetInt(string name, int fallback = 0)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return int.TryParse(v, out var n) && n >= 0 ? n : throw new OciException($"--{name}: \"{v}\" is not a non-negative number");
    }

    /// <summary>The single container id argument.</summary>
    public string Id(string command)
    {
        if (Positionals.Count == 0) throw new OciException($"{command}: a container id is required");
        return Positionals[0];
    }
}

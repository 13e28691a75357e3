namespace Kapsel.Cli;

/// <summary>
/// Docker-style argument reading: options before positionals ("--name x", "--name=x", "-e K=V"),
/// "--" ends options; for `run`, the first positional (the image) also ends them and the rest is
/// the command.
/// </summary>
public sealed class ArgReader(IReadOnlyList<string> args)
{
    private readonly List<string> _args = ExpandShortFlags(args);

    /// <summary>"-aq" → "-a", "-q" (docker habit), up to "--".</summary>
    private static List<string> ExpandShortFlags(IReadOnlyList<string> args)
    {
        var result = new List<string>();
        var ended = false;
        foreach (var a in args)
        {
            ended |= a == "--";
            if (!ended && a.Length > 2 && a[0] == '-' && a[1] != '-' && a.Skip(1).All(char.IsAsciiLetter))
                result.AddRange(a.Skip(1).Select(c => "-" + c));
            else result.Add(a);
        }
        return result;
    }

    public bool Help => _args.Contains("--help") || _args.Contains("-h");

    /// <summary>Removes a boolean flag (anywhere before "--") and says whether it was there.</summary>
    public bool Flag(params string[] names)
    {
        var found = false;
        for (var i = 0; i < OptionsEnd(); i++)
        {
            if (!names.Contains(_args[i])) continue;
            _args.RemoveAt(i--);
            found = true;
        }
        return found;
    }

    /// <summary>Removes every occurrence of a valued option and returns the values in order.</summary>
    public List<string> Values(params string[] names)
    {
        var values = new List<string>();
        for (var i = 0; i < OptionsEnd(); i++)
        {
            var a = _args[i];
            var eq = a.IndexOf('=');
            if (a.StartsWith("--") && eq > 0 && names.Contains(a[..eq]))
            {
                values.Add(a[(eq + 1)..]);
                _args.RemoveAt(i--);
            }
            else if (names.Contains(a))
            {
                if (i + 1 >= _args.Count) throw new UsageException($"option {a} needs a value");
                values.Add(_args[i + 1]);
                _args.RemoveRange(i, 2);
                i--;
            }
        }
        return values;
    }

    public string? Value(params string[] names) => Values(names).LastOrDefault();

    /// <summary>The remaining arguments; an unknown option before "--" is an error.</summary>
    public List<string> Positionals()
    {
        var result = new List<string>();
        for (var i = 0; i < _args.Count; i++)
        {
            var a = _args[i];
            if (a == "--") { result.AddRange(_args.Skip(i + 1)); break; }
            if (a.StartsWith('-') && a.Length > 1) throw new UsageException($"unknown option {a}");
            result.Add(a);
        }
        return result;
    }

    /// <summary>
    /// Splits `run`-style arguments at the first positional (the image): what precedes are
    /// kapsel's options, what follows is the command, untouched (a leading "--" is dropped).
    /// </summary>
    public static (ArgReader Options, string? Image, List<string> Command) SplitAtImage(IReadOnlyList<string> args, ISet<string> valuedOptions)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--")
                return (new ArgReader(args.Take(i).ToList()), args.ElementAtOrDefault(i + 1), args.Skip(i + 2).ToList());
            if (a.StartsWith('-') && a.Length > 1)
            {
                if (valuedOptions.Contains(a)) i++;
                continue;
            }
            var command = args.Skip(i + 1).ToList();
            if (command.FirstOrDefault() == "--") command.RemoveAt(0);
            return (new ArgReader(args.Take(i).ToList()), a, command);
        }
        return (new ArgReader(args), null, []);
    }

    private int OptionsEnd()
    {
        for (var i = 0; i < _args.Count; i++)
        {
            if (_args[i] == "--") return i;
        }
        return _args.Count;
    }
}

/// <summary>Wrong command-line usage: printed with a hint to --help, exit 125.</summary>
public sealed class UsageException(string message) : Exception(message);

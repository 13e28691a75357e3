namespace Kapsel.Images.Build;

/// <summary>
/// One Containerfile instruction as written: its keyword (upper case), leading `--flag=value`
/// options, and its arguments, either the JSON array form (`["a", "b"]`) or the raw shell-form
/// text (line continuations joined). Variable substitution happens later, when the builder knows
/// the variables in scope.
/// </summary>
public sealed record Instruction(
    string Keyword,
    string Arguments,
    IReadOnlyList<string>? Json,
    IReadOnlyDictionary<string, string> Flags,
    int Line,
    string Text)
{
    public bool IsJson => Json is not null;

    public string? Flag(string name) => Flags.TryGetValue(name, out var v) ? v : null;

    public override string ToString() => Text;
}

/// <summary>A parsed Containerfile: parser directives, global ARGs before the first FROM, and the stages.</summary>
public sealed record Containerfile(
    string FileName,
    char Escape,
    string? Syntax,
    IReadOnlyList<Instruction> GlobalArgs,
    IReadOnlyList<Instruction> Instructions);

/// <summary>A Containerfile problem, reported as FILE:LINE: message (exit 125 from the CLI).</summary>
public sealed class ContainerfileException(string file, int line, string message)
    : ImageException(line > 0 ? $"{file}:{line}: {message}" : $"{file}: {message}")
{
    public int Line { get; } = line;
}

using Kapsel.Images.Build;

namespace Kapsel.Engine.Build;

/// <summary>One FROM section of a Containerfile while it is being built.</summary>
public sealed class BuildStage(int index, string? name, ImageState state)
{
    public int Index { get; } = index;
    public string? Name { get; } = name;
    public ImageState State { get; set; } = state;

    /// <summary>ARGs declared in this stage, with their values (null: declared without a value).</summary>
    public Dictionary<string, string?> Args { get; } = [];

    /// <summary>Whether CMD was set in this stage (ENTRYPOINT then keeps it).</summary>
    public bool CmdSet;

    /// <summary>Args in scope as KEY=VALUE for RUN (an ENV of the same name wins, as in Docker).</summary>
    public List<string> ArgEnv()
    {
        var env = State.Config.Config?.Env ?? [];
        return Args.Where(a => a.Value is not null && !env.Any(e => e.StartsWith(a.Key + "=", StringComparison.Ordinal)))
            .OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}").ToList();
    }
}

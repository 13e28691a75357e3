using Kapsel.Engine;

namespace Kapsel.Cli;

/// <summary>Global options and the lazily created engine shared by every command.</summary>
public sealed class CliContext : IDisposable
{
    private KapselEngine? _engine;

    public required string? RootOption { get; init; }
    public required string? RunRootOption { get; init; }
    public bool Debug { get; init; }

    public KapselPaths Paths => field ??= KapselPaths.Resolve(RootOption, RunRootOption);
    public KapselEngine Engine => _engine ??= new KapselEngine(Paths);
    public Progress Progress { get; } = new();

    public void Dispose() => _engine?.Dispose();
}

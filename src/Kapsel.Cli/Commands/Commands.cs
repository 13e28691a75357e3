namespace Kapsel.Cli.Commands;

/// <summary>A top-level command: its name(s), one-line summary, full usage and handler.</summary>
public sealed record Command(string[] Names, string Summary, string Usage, Func<CliContext, string[], int> Run, bool HandlesHelp = false);

/// <summary>The command table, in the order `kapsel help` lists them.</summary>
public static class Commands
{
    public static readonly Command[] All =
    [
        RunCommand.Definition,
        PsCommand.Definition,
        RmCommand.Definition,
        ImageCommand.Definition,
        ImageCommand.ImagesAlias,
        ImageCommand.PullAlias,
        BuildCommand.Definition,
        CommitCommand.Definition,
        SetupCommand.Definition,
        CompareCommand.Definition,
        VersionCommand.Definition,
        DebugCommand.Definition,
        HelpCommand.Definition,
    ];

    public static Command? Find(string name) => All.FirstOrDefault(c => c.Names.Contains(name));
}

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
        LifecycleCommands.Start,
        LifecycleCommands.Stop,
        LifecycleCommands.Restart,
        LifecycleCommands.Kill,
        LifecycleCommands.Wait,
        ExecCommand.Definition,
        AttachCommand.Definition,
        CpCommand.Definition,
        LogsCommand.Definition,
        InspectCommand.Definition,
        PortCommand.Definition,
        StatsTopCommands.Stats,
        StatsTopCommands.Top,
        RmCommand.Definition,
        NetworkCommand.Definition,
        SystemCommand.Definition,
        VolumeCommand.Definition,
        ImageCommand.Definition,
        ImageCommand.ImagesAlias,
        ImageCommand.PullAlias,
        PushCommand.Verb.Alias("push"),
        ImageTagCommand.Verb.Alias("tag"),
        ImageCommand.Rm.Alias("rmi"),
        ImageSaveLoadCommands.Save.Alias("save"),
        ImageSaveLoadCommands.Load.Alias("load"),
        LoginCommand.Login,
        LoginCommand.Logout,
        BuildCommand.Definition,
        CommitCommand.Definition,
        SetupCommand.Definition,
        CompareCommand.Definition,
        VersionCommand.Definition,
        DebugCommand.Definition,
        HelpCommand.Definition,
        MonitorCommand.Definition,
    ];

    public static Command? Find(string name) => All.FirstOrDefault(c => c.Names.Contains(name));
}

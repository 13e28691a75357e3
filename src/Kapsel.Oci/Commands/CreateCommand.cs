using Kapsel.Oci.Runtime;

namespace Kapsel.Oci.Commands;

/// <summary>create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot] [--no-new-keyring] ID</summary>
public static class CreateCommand
{
    internal static readonly string[] ValueFlags = ["bundle|b", "pid-file", "console-socket", "preserve-fds"];
    internal static readonly string[] BoolFlags = ["no-pivot", "no-new-keyring", "detach|d", "keep", "no-subreaper"];

    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "create", ValueFlags, BoolFlags);
        using var child = ContainerCreator.Create(ctx, Options(cl, "create"));
        return 0;
    }

    internal static CreateOptions Options(CommandLine cl, string command) => new()
    {
        Id = cl.Id(command),
        Bundle = cl.Get("bundle") ?? Directory.GetCurrentDirectory(),
        PidFile = cl.Get("pid-file"),
        ConsoleSocket = cl.Get("console-socket"),
        PreserveFds = cl.GetInt("preserve-fds"),
        NoPivot = cl.Has("no-pivot"),
        NoNewKeyring = cl.Has("no-new-keyring"),
    };
}

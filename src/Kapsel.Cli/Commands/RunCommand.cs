using Kapsel.Engine.Drivers;
using Kapsel.Engine.Instances;

namespace Kapsel.Cli.Commands;

public static class RunCommand
{
    private static readonly HashSet<string> Valued = ["--level", "--name", "-e", "--env", "-w", "--workdir", "--ca-file"];

    public static readonly Command Definition = new(["run"], "Create and run an instance", """
        Usage: kapsel run [OPTIONS] IMAGE [--] [COMMAND [ARG...]]

        Creates an instance from IMAGE, runs COMMAND in it (default /bin/sh) attached to this
        terminal, and exits with the command's exit code.

        Options:
          --level LEVEL        chroot | system | app | vm (default app)
          --name NAME          name of the instance (default: generated)
          --rm                 remove the instance when the command exits
          -e, --env KEY=VALUE  set an environment variable (repeatable)
          -w, --workdir DIR    working directory inside the instance (default: the image's, or /)
          --tls-verify=false   for an image pulled on the way: accept any registry certificate
          --ca-file FILE       for an image pulled on the way: extra CA certificates

        IMAGE is a built-in image (busybox, debian:SUITE) or a registry reference, pulled if not
        present. Without COMMAND the image's Entrypoint and Cmd run; COMMAND replaces Cmd.

        Exit codes: the command's own; 125 when kapsel fails; 126 when the command is not
        executable; 127 when it is not found.
        """, Run, HandlesHelp: true);

    private static int Run(CliContext ctx, string[] argv)
    {
        var (options, image, command) = ArgReader.SplitAtImage(argv, Valued);
        if (options.Help) { Console.Out.Write(Definition.Usage.TrimEnd() + "\n"); return 0; }
        var level = Instance.ParseLevel(options.Value("--level") ?? "app");
        var request = new RunRequest(
            Level: level,
            Image: image ?? throw new UsageException("\"kapsel run\" needs an IMAGE"),
            Command: command,
            Name: options.Value("--name"),
            Env: options.Values("-e", "--env"),
            WorkingDir: options.Value("-w", "--workdir"),
            AutoRemove: options.Flag("--rm"));
        ImageCommand.ApplyRegistryFlags(ctx, options); // --tls-verify, --ca-file for an automatic pull
        options.Positionals(); // rejects unknown options

        if (level == InstanceLevel.Chroot) Console.Error.WriteLine($"kapsel: warning: {ChrootDriver.Warning}");
        var runner = new ForegroundRunner(ctx.Engine);
        try { return runner.Run(request, ctx.Progress.Report); }
        finally { ctx.Progress.Done(); }
    }
}

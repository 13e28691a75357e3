using Kapsel.Engine.Instances;

namespace Kapsel.Cli.Commands;

public static class ExecCommand
{
    private static readonly HashSet<string> Valued = ["-e", "--env", "-w", "--workdir", "-u", "--user", "--env-file"];

    public static readonly Command Definition = new(["exec"], "Run a command in a running instance", """
        Usage: kapsel exec [OPTIONS] INSTANCE COMMAND [ARG...]

        Runs COMMAND inside a running instance (its namespaces, cgroup, capabilities and seccomp
        profile) and exits with its exit code.

        Options:
          -i, --interactive      keep stdin open (it is always passed)
          -t, --tty              allocate a terminal
          -d, --detach           run in the background
          -e, --env KEY=VALUE    set an environment variable (repeatable)
          --env-file FILE        read KEY=VALUE lines
          -w, --workdir DIR      working directory (default: the instance's)
          -u, --user USER[:GROUP]  user (default: the instance's)
        """, Run, HandlesHelp: true);

    private static int Run(CliContext ctx, string[] argv)
    {
        var (options, target, command) = ArgReader.SplitAtImage(argv, Valued);
        if (options.Flag("--help")) { Console.Out.Write(Definition.Usage.TrimEnd() + "\n"); return 0; }
        var tty = options.Flag("-t", "--tty");
        options.Flag("-i", "--interactive");
        var detach = options.Flag("-d", "--detach");
        var env = new List<string>();
        foreach (var file in options.Values("--env-file")) env.AddRange(RunOptions.ReadEnvFile(file));
        env.AddRange(options.Values("-e", "--env").Select(RunOptions.ExpandEnv));
        env.RemoveAll(e => e.Length == 0);
        var request = new ExecRequest(command, env, options.Value("-w", "--workdir"), options.Value("-u", "--user"), tty, detach);
        options.Positionals();
        if (target is null || command.Count == 0) throw new UsageException("\"kapsel exec\" needs an INSTANCE and a COMMAND");
        return new InstanceExec(ctx.Engine).Exec(InstanceArgs.Find(ctx, target), request);
    }
}

using Kapsel.Engine;
using Kapsel.Engine.Drivers;
using Kapsel.Engine.Instances;
using Kapsel.Engine.Monitor;

namespace Kapsel.Cli.Commands;

public static class RunCommand
{
    private static readonly HashSet<string> Valued =
    [
        "--level", "--name", "-e", "--env", "--env-file", "-w", "--workdir", "--ca-file", "-v", "--volume", "--mount", "-p", "--publish",
        "--network", "--net", "--hostname", "-h", "-u", "--user", "--entrypoint", "-m", "--memory", "--cpus", "--pids-limit",
        "--cap-add", "--cap-drop", "--restart", "--stop-signal", "--stop-timeout", "-l", "--label", "--log-max-size", "--log-max-files",
        "--tls-verify",
    ];

    public static readonly Command Definition = new(["run"], "Create and run an instance", """
        Usage: kapsel run [OPTIONS] IMAGE [--] [COMMAND [ARG...]]

        Creates an instance from IMAGE and runs COMMAND in it: attached to this terminal (exits
        with the command's exit code), or in the background with -d (prints the instance id).

        Options:
          --level LEVEL          chroot | system | app | vm (default app)
          --name NAME            name of the instance (default: generated)
          -d, --detach           run in the background under a monitor; output goes to `kapsel logs`
          --rm                   remove the instance when the command exits
          -i, --interactive      keep stdin open (foreground runs always pass it)
          -t, --tty              allocate a terminal
          -e, --env KEY=VALUE    set an environment variable (repeatable; KEY alone copies kapsel's)
          --env-file FILE        read KEY=VALUE lines
          -w, --workdir DIR      working directory inside (default: the image's, or /)
          -u, --user USER[:GROUP]  user (name or uid) inside (default: the image's, or root)
          --entrypoint CMD       replace the image's entrypoint ("" clears it)
          -h, --hostname NAME    hostname inside (default: the short instance id)
          --network NET          a network name (default kapsel0), none (loopback only) or host
          -p, --publish [IP:]HOST:CTR[/tcp|udp]  publish a port (repeatable)
          -v, --volume SRC:DST[:ro]  bind a host path (absolute) or a named volume; DST alone: anonymous volume
          --mount type=bind|volume|tmpfs,source=S,target=T[,readonly]
          --read-only            mount the root filesystem read-only
          -m, --memory SIZE      memory limit (e.g. 512m, 1g)
          --cpus N               CPU limit (e.g. 0.5)
          --pids-limit N         process limit
          --cap-add CAP, --cap-drop CAP   change the default capability set (ALL works)
          --restart POLICY       no | on-failure[:MAX] | always | unless-stopped (with -d)
          --stop-signal SIG      signal `kapsel stop` sends (default SIGTERM)
          --stop-timeout SECS    seconds `kapsel stop` waits before SIGKILL (default 10)
          -l, --label K=V        a label (repeatable)
          --log-max-size SIZE, --log-max-files N   log rotation (default 10m, 3 files)
          --tls-verify=false, --ca-file FILE       for an image pulled on the way

        IMAGE is a built-in image (busybox, debian:SUITE) or a registry reference, pulled if not
        present. Without COMMAND the image's Entrypoint and Cmd run; COMMAND replaces Cmd.

        Exit codes: the command's own; 125 when kapsel fails; 126 when the command is not
        executable; 127 when it is not found.
        """, Run, HandlesHelp: true);

    private static int Run(CliContext ctx, string[] argv)
    {
        var (options, image, command) = ArgReader.SplitAtImage(argv, Valued);
        if (options.Flag("--help")) { Console.Out.Write(Definition.Usage.TrimEnd() + "\n"); return 0; }
        var level = Instance.ParseLevel(options.Value("--level") ?? "app");
        var detach = options.Flag("-d", "--detach");
        var env = new List<string>();
        foreach (var file in options.Values("--env-file")) env.AddRange(RunOptions.ReadEnvFile(file));
        env.AddRange(options.Values("-e", "--env").Select(RunOptions.ExpandEnv));
        env.RemoveAll(e => e.Length == 0);
        var config = new InstanceConfig
        {
            Detached = detach,
            Tty = options.Flag("-t", "--tty"),
            Interactive = options.Flag("-i", "--interactive"),
            Hostname = options.Value("-h", "--hostname"),
            User = options.Value("-u", "--user"),
            Network = options.Value("--network", "--net"),
            Ports = options.Values("-p", "--publish"),
            ReadOnly = options.Flag("--read-only"),
            CapAdd = options.Values("--cap-add"),
            CapDrop = options.Values("--cap-drop"),
            StopSignal = options.Value("--stop-signal"),
        };
        config.Mounts.AddRange(options.Values("-v", "--volume").Select(RunOptions.ParseVolume));
        config.Mounts.AddRange(options.Values("--mount").Select(RunOptions.ParseMount));
        if (options.Value("-m", "--memory") is { } memory) config.MemoryBytes = RunOptions.ParseBytes(memory, "--memory");
        if (options.Value("--cpus") is { } cpus) config.Cpus = RunOptions.ParseCpus(cpus);
        if (options.Value("--pids-limit") is { } pids)
            config.PidsLimit = long.TryParse(pids, out var p) && p != 0 ? p : throw new UsageException($"invalid --pids-limit \"{pids}\"");
        if (options.Value("--restart") is { } restart) config.Restart = RestartPolicy.Parse(restart);
        if (options.Value("--stop-timeout") is { } st)
            config.StopTimeout = int.TryParse(st, out var s) && s >= 0 ? s : throw new UsageException($"invalid --stop-timeout \"{st}\"");
        if (options.Value("--log-max-size") is { } lms) config.LogMaxSize = RunOptions.ParseBytes(lms, "--log-max-size");
        if (options.Value("--log-max-files") is { } lmf)
            config.LogMaxFiles = int.TryParse(lmf, out var f) && f >= 1 ? f : throw new UsageException($"invalid --log-max-files \"{lmf}\"");
        foreach (var label in options.Values("-l", "--label"))
        {
            var kv = label.Split('=', 2);
            config.Labels[kv[0]] = kv.Length == 2 ? kv[1] : "";
        }
        if (config.StopSignal is { } stopSignal)
        {
            try { Oci.Signals.Parse(stopSignal); }
            catch (Oci.OciException) { throw new UsageException($"invalid --stop-signal \"{stopSignal}\""); }
        }
        var entrypoint = options.Value("--entrypoint");
        var autoRemove = options.Flag("--rm");
        if (config.Restart.Name != "no" && autoRemove) throw new UsageException("--restart and --rm cannot be used together");
        if (config.Restart.Name != "no" && !detach) throw new UsageException("--restart needs -d (a monitor applies the policy)");
        var request = new RunRequest(
            Level: level,
            Image: image ?? throw new UsageException("\"kapsel run\" needs an IMAGE"),
            Command: command,
            Name: options.Value("--name"),
            Env: env,
            WorkingDir: options.Value("-w", "--workdir"),
            AutoRemove: autoRemove)
        {
            Config = config,
            Entrypoint = entrypoint is null ? null : entrypoint.Length == 0 ? [] : [entrypoint],
        };
        ImageCommand.ApplyRegistryFlags(ctx, options); // --tls-verify, --ca-file for an automatic pull
        options.Positionals(); // rejects unknown options

        if (level == InstanceLevel.Chroot) Console.Error.WriteLine($"kapsel: warning: {ChrootDriver.Warning}");
        ctx.Engine.NetworkNotice = n => Console.Error.WriteLine($"kapsel: {n}");
        if (detach) return RunDetached(ctx, request);
        var runner = new ForegroundRunner(ctx.Engine);
        try { return runner.Run(request, ctx.Progress.Report); }
        finally { ctx.Progress.Done(); }
    }

    /// <summary>-d: create here, start under a monitor, print the id once it runs.</summary>
    private static int RunDetached(CliContext ctx, RunRequest request)
    {
        var launcher = new InstanceLauncher(ctx.Engine);
        var (instance, _) = launcher.Prepare(request, ctx.Progress.Report);
        ctx.Progress.Done();
        try { MonitorProcess.Start(ctx.Paths, instance.Id); }
        catch
        {
            if (ctx.Engine.Instances.Get(instance.Id) is { } left) launcher.Remove(left);
            throw;
        }
        Console.Out.WriteLine(instance.Id);
        return 0;
    }
}

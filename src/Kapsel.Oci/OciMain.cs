using Kapsel.Linux;
using Kapsel.Linux.Cgroups;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;
using Kapsel.Oci.Commands;

namespace Kapsel.Oci;

/// <summary>
/// Entry point of the runc-compatible CLI: `kapsel oci &lt;args&gt;` and `kapsel-runc &lt;args&gt;`.
/// Parses global flags, dispatches to one command per file under Commands/, and turns errors into
/// runc-style messages (stderr and --log) with a non-zero exit code.
/// </summary>
public static class OciMain
{
    public const string Version = "0.1.0";

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var ctx = new RuntimeContext { Out = stdout, Err = stderr };
        try
        {
            ProcessCalls.ResetChildSignal();
            var i = 0;
            for (; i < args.Length && args[i].StartsWith('-'); i++)
            {
                var name = args[i].TrimStart('-');
                string? inline = null;
                var eq = name.IndexOf('=');
                if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
                string Value() => inline ?? (i + 1 < args.Length ? args[++i] : throw new OciException($"flag --{name} needs a value"));
                switch (name)
                {
                    case "root": ctx.Root = Path.GetFullPath(Value()); break;
                    case "log": ctx.LogPath = Value(); break;
                    case "log-format":
                        ctx.LogFormat = Value();
                        if (ctx.LogFormat is not ("json" or "text")) throw new OciException($"--log-format: \"{ctx.LogFormat}\" is not json or text");
                        break;
                    case "debug": ctx.Debug = inline != "false"; break;
                    case "systemd-cgroup": ctx.SystemdCgroup = inline != "false"; break;
                    case "criu": Value(); break; // checkpoint/restore is not supported; accepted for compatibility
                    case "rootless": Value(); break;
                    case "version" or "v": PrintVersion(stdout); return 0;
                    case "help" or "h": PrintHelp(stdout); return 0;
                    default: throw new OciException($"unknown global flag {args[i]}");
                }
            }
            if (i >= args.Length) { PrintHelp(stderr); return 1; }
            var command = args[i];
            var rest = args[(i + 1)..];
            ctx.DebugLog($"{command} {string.Join(' ', rest)}");
            return command switch
            {
                "create" => CreateCommand.Run(ctx, rest),
                "start" => StartCommand.Run(ctx, rest),
                "state" => StateCommand.Run(ctx, rest),
                "kill" => KillCommand.Run(ctx, rest),
                "delete" => DeleteCommand.Run(ctx, rest),
                "run" => RunCommand.Run(ctx, rest),
                "exec" => ExecCommand.Run(ctx, rest),
                "ps" => PsCommand.Run(ctx, rest),
                "pause" => PauseCommand.Run(ctx, rest, pause: true),
                "resume" => PauseCommand.Run(ctx, rest, pause: false),
                "update" => UpdateCommand.Run(ctx, rest),
                "list" => ListCommand.Run(ctx, rest),
                "events" => EventsCommand.Run(ctx, rest),
                "features" => FeaturesCommand.Run(ctx, rest),
                "spec" => SpecCommand.Run(ctx, rest),
                "version" => PrintVersion(stdout),
                "help" => PrintHelp(stdout),
                "checkpoint" or "restore" => throw new OciException($"{command}: checkpoint/restore (CRIU) is not supported by kapsel-runc"),
                _ => throw new OciException($"unknown command \"{command}\" (see --help)"),
            };
        }
        catch (OciException e)
        {
            ctx.Error(e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (e is SyscallException or SpawnException or CgroupException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            ctx.Error(e.Message);
            return 1;
        }
        catch (Exception e)
        {
            // A bug, not bad input: still one line, never a stack trace on a client's console.
            ctx.Error($"internal error ({e.GetType().Name}): {e.Message}");
            return 1;
        }
    }

    private static int PrintVersion(TextWriter o)
    {
        o.WriteLine($"kapsel-runc version {Version}");
        o.WriteLine("commit: kapsel");
        o.WriteLine($"spec: {Spec.SpecVersion.Current}");
        o.WriteLine($"go: none (.NET {Environment.Version})");
        return 0;
    }

    private static int PrintHelp(TextWriter o)
    {
        o.WriteLine("""
            usage: kapsel-runc [global options] command [command options] [arguments...]

            commands: create, start, state, kill, delete, run, exec, ps, pause, resume, update,
                      list, events, features, spec, version

            global options:
              --root DIR            state directory (default /run/kapsel-runc)
              --log FILE            log file; --log-format text|json
              --debug               debug logging
              --systemd-cgroup      cgroupsPath is slice:prefix:name, managed through systemd
              --version, -v         print the version
            """);
        return 0;
    }
}

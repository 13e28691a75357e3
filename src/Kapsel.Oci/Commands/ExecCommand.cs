using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Commands;

/// <summary>
/// exec [--process FILE | [flags] ID ARGS...]: runs a new process in a container. Without
/// --process the container's own process settings are the base, overridden by the flags.
/// </summary>
public static class ExecCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        // Everything after the id (and its flags) that is not a flag belongs to the command: stop
        // flag parsing at the second positional so "exec ID sh -c x" keeps "-c".
        var split = SplitAtCommand(args);
        var cl = CommandLine.Parse(split.Flags, "exec",
            ["process|p", "pid-file", "console-socket", "cwd", "env|e", "user|u", "cap|c", "preserve-fds", "additional-gids|g", "process-label", "apparmor", "cgroup"],
            ["tty|t", "detach|d", "no-new-privs", "ignore-paused"]);
        var id = cl.Id("exec");
        var warnings = new List<string>();
        ProcessSpec process;
        if (cl.Get("process") is { } file)
        {
            var text = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
            process = SpecLoader.Parse(text, OciJsonContext.Default.ProcessSpec, warnings, "process.json");
        }
        else
        {
            var baseProcess = ctx.Store.LoadConfig(id)?.Process ?? new ProcessSpec { Cwd = "/" };
            process = new ProcessSpec
            {
                Args = split.Command, Env = [.. baseProcess.Env ?? []], Cwd = baseProcess.Cwd, User = baseProcess.User,
                Capabilities = baseProcess.Capabilities, NoNewPrivileges = baseProcess.NoNewPrivileges, Rlimits = baseProcess.Rlimits,
            };
            if (split.Command.Count == 0) throw new OciException("exec: arguments or --process are required");
        }
        foreach (var w in warnings) ctx.Warn(w);
        if (cl.Get("cwd") is { } cwd) process.Cwd = cwd;
        foreach (var e in cl.All("env")) process.Env = [.. (process.Env ?? []).Where(x => !x.StartsWith(e.Split('=')[0] + "=", StringComparison.Ordinal)), e];
        if (cl.Get("user") is { } user)
        {
            var parts = user.Split(':');
            if (!uint.TryParse(parts[0], out var uid) || parts.Length > 1 && !uint.TryParse(parts[1], out _))
                throw new OciException($"exec: --user \"{user}\" must be numeric UID[:GID]");
            process.User = new UserSpec { Uid = uid, Gid = parts.Length > 1 ? uint.Parse(parts[1]) : 0, AdditionalGids = process.User.AdditionalGids };
        }
        foreach (var g in cl.All("additional-gids")) (process.User.AdditionalGids ??= []).Add(uint.Parse(g));
        if (cl.All("cap") is { Count: > 0 } caps)
        {
            process.Capabilities ??= new CapabilitiesSpec();
            foreach (var c in caps)
                foreach (var set in new[] { process.Capabilities.Bounding ??= [], process.Capabilities.Effective ??= [], process.Capabilities.Permitted ??= [] })
                    if (!set.Contains(c)) set.Add(c);
        }
        if (cl.Has("no-new-privs")) process.NoNewPrivileges = true;
        if (cl.Has("tty")) process.Terminal = true;
        return ExecRunner.Exec(ctx, new ExecOptions
        {
            Id = id, Process = process, Detach = cl.Has("detach"), PidFile = cl.Get("pid-file"),
            ConsoleSocket = cl.Get("console-socket"), PreserveFds = cl.GetInt("preserve-fds"),
        });
    }

    private static readonly HashSet<string> ValueFlagNames =
        ["--process", "-p", "--pid-file", "--console-socket", "--cwd", "--env", "-e", "--user", "-u", "--cap", "-c", "--preserve-fds",
         "--additional-gids", "-g", "--process-label", "--apparmor", "--cgroup"];

    private static (List<string> Flags, List<string> Command) SplitAtCommand(string[] args)
    {
        var flags = new List<string>();
        var sawId = false;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--") return (flags, args[(i + 1)..].ToList());
            if (a.StartsWith('-') && a.Length > 1)
            {
                flags.Add(a);
                if (!a.Contains('=') && ValueFlagNames.Contains(a) && i + 1 < args.Length) flags.Add(args[++i]);
                continue;
            }
            if (!sawId) { flags.Add(a); sawId = true; continue; }
            return (flags, args[i..].ToList());
        }
        return (flags, []);
    }
}

using Kapsel.Cli.Commands;
using Kapsel.Engine;
using Kapsel.Images;
using Kapsel.Linux;
using Kapsel.Linux.Host;
using Kapsel.Linux.Interop;

namespace Kapsel.Cli;

/// <summary>
/// Entry point. Exit codes follow docker/podman: 0 ok, 125 kapsel's own failure, 126/127 the
/// command could not run, anything else is the command's own exit code. Errors are one line on
/// stderr.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // HOST.md: SIGCHLD must be SIG_DFL; we only ever wait for specific pids/pidfds.
        ProcessCalls.ResetChildSignal();

        // Called as kapsel-runc (a symlink Podman, containerd or Docker were pointed at), or as
        // `kapsel oci ...`: the runc-compatible OCI runtime.
        if (InvokedAs() == "kapsel-runc") return Kapsel.Oci.OciMain.Run(args);
        if (args.Length > 0 && args[0] == "oci") return Kapsel.Oci.OciMain.Run(args[1..]);

        var globals = new List<string>();
        var i = 0;
        string? root = null, runRoot = null;
        var debug = false;
        for (; i < args.Length && args[i].StartsWith('-'); i++)
        {
            var a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            if (a is "--root" or "--run-root" && i + 1 >= args.Length) return Fail($"option {a} needs a value", 125, usage: true);
            if (a == "--root") root = Next();
            else if (a.StartsWith("--root=")) root = a[7..];
            else if (a == "--run-root") runRoot = Next();
            else if (a.StartsWith("--run-root=")) runRoot = a[11..];
            else if (a == "--debug") debug = true;
            else if (a is "--version" or "-v") { args = ["version"]; i = 0; break; }
            else if (a is "--help" or "-h") { args = ["help"]; i = 0; break; }
            else return Fail($"unknown global option {a}", 125, usage: true);
        }

        Debug = debug;
        using var ctx = new CliContext { RootOption = root, RunRootOption = runRoot, Debug = debug };
        if (i >= args.Length) { HelpCommand.Print(); return 0; }
        var name = args[i];
        var rest = args[(i + 1)..];
        try
        {
            var command = Commands.Commands.Find(name);
            if (command is null) return Fail($"unknown command \"{name}\"", 125, usage: true);
            if (rest.Contains("--help") || rest.Contains("-h"))
            {
                if (!command.HandlesHelp) { Console.Out.Write(command.Usage.TrimEnd() + "\n"); return 0; }
            }
            return command.Run(ctx, rest);
        }
        catch (Exception e)
        {
            ctx.Progress.Done();
            return e switch
            {
                // `kapsel ps | head -1`: the reader left; end quietly with the shell's SIGPIPE status, as a C tool would.
                IOException io when io.HResult == Errnos.EPIPE || io.Message.Contains("Broken pipe", StringComparison.Ordinal) => 128 + 13,
                UsageException u => Fail(u.Message, 125, usage: true, command: name),
                Engine.Drivers.CommandNotRunnableException c => Fail(c.Message, c.ExitCode),
                KapselException or ImageException or HostPackageMissingException or SyscallException or Network.Networks.NetworkException
                    or Linux.Spawn.SpawnException or Oci.OciException => Fail(e.Message, 125, e),
                IOException or UnauthorizedAccessException => Fail(e.Message, 125, e),
                _ => Fail($"internal error ({e.GetType().Name}): {e.Message}", 125, e),
            };
        }
    }

    /// <summary>argv[0]'s file name as the caller typed it (Environment.ProcessPath resolves symlinks).</summary>
    private static string InvokedAs()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            var end = Array.IndexOf(cmdline, (byte)0);
            return Path.GetFileName(System.Text.Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end));
        }
        catch (IOException) { return "kapsel"; }
    }

    /// <summary>
    /// The one way errors reach the user: one line (cut, control bytes escaped), the help hint on
    /// the same line; a stack trace only with --debug or KAPSEL_DEBUG.
    /// </summary>
    private static int Fail(string message, int code, Exception? detail = null, bool usage = false, string? command = null)
    {
        var hint = usage ? $" (see 'kapsel {(command is null ? "" : command + " ")}--help')" : "";
        Console.Error.WriteLine($"kapsel: {ErrorText.OneLine(message)}{hint}");
        if (detail is not null && (Debug || Environment.GetEnvironmentVariable("KAPSEL_DEBUG") is not null))
            Console.Error.WriteLine(detail.ToString());
        return code;
    }

    private static bool Debug;
}

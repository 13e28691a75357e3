using System.Diagnostics;
using System.Text.Json;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// Runs lifecycle hooks (config.md#posix-platform-hooks): the container state JSON on stdin, the
/// hook's own env only, an optional timeout in seconds. Hooks run in the runtime's namespaces
/// (createContainer/startContainer included, as runc does; their path resolves in the runtime namespace).
/// </summary>
internal static class HookRunner
{
    public static void Run(IReadOnlyList<HookSpec>? hooks, string phase, ContainerStateDocument state, List<string>? warnings = null)
    {
        if (hooks is null || hooks.Count == 0) return;
        var json = JsonSerializer.Serialize(state, OciJsonContext.Default.ContainerStateDocument);
        for (var i = 0; i < hooks.Count; i++)
        {
            try { RunOne(hooks[i], json); }
            catch (Exception e)
            {
                var message = $"{phase} hook #{i} ({hooks[i].Path}) failed: {e.Message}";
                if (warnings is null) throw new OciException(message, inner: e);
                warnings.Add(message);
            }
        }
    }

    private static void RunOne(HookSpec hook, string stateJson)
    {
        var psi = new ProcessStartInfo(hook.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // args[0] is argv[0] by convention; ProcessStartInfo sets argv[0] to the path itself.
        foreach (var a in (hook.Args ?? []).Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var e in hook.Env ?? [])
        {
            var eq = e.IndexOf('=');
            if (eq > 0) psi.Environment[e[..eq]] = e[(eq + 1)..];
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        try
        {
            p.StandardInput.Write(stateJson);
            p.StandardInput.Close();
        }
        catch (IOException) { /* the hook need not read its stdin */ }
        var timeout = hook.Timeout is > 0 ? hook.Timeout.Value * 1000 : -1;
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit();
            throw new TimeoutException($"timed out after {hook.Timeout} s");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"exit status {p.ExitCode}: {(stderr.Result + stdout.Result).Trim()}");
    }
}

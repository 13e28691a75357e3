using System.Diagnostics;
using System.Text.Json;

namespace Kapsel.Network.Tests.Netlink;

/// <summary>Runs iproute2/busybox for cross-checks (tests only: the library never shells out).</summary>
internal static class Shell
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} exited {ExitCode}: {Stderr}{Stdout}");
    }

    public static Result Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>`ip -j ARGS` parsed; `ip -n NS -j ARGS` when a namespace is given.</summary>
    public static JsonElement IpJson(string? netns, params string[] args)
    {
        var full = new List<string>();
        if (netns is not null) full.AddRange(["-n", netns]);
        full.Add("-j");
        full.AddRange(args);
        var result = Run("ip", [.. full]).EnsureSuccess("ip " + string.Join(' ', full));
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }
}

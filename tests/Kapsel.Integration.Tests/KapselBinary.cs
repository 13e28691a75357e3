using System.Diagnostics;

namespace Kapsel.Integration.Tests;

/// <summary>
/// The published kapsel binary and a private state root per test: every call gets --root, so
/// tests never touch /var/lib/kapsel and can run side by side.
/// </summary>
public sealed class KapselBinary : IDisposable
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Path => Environment.GetEnvironmentVariable("KAPSEL_BIN") ?? System.IO.Path.Combine(RepoRoot, ".build/bin/kapsel");

    public string Root { get; } = Directory.CreateTempSubdirectory("kapsel-it-").FullName;

    public KapselBinary()
    {
        if (!File.Exists(Path))
            throw new InvalidOperationException($"{Path} is missing: build it first with ./kapsel version (test.sh does)");
    }

    public Result Run(params string[] args) => RunWith(null, args);

    public Result RunWith(IDictionary<string, string>? env, params string[] args) =>
        Exec(Path, ["--root", Root, .. args], env);

    public static Result Exec(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) { p.StandardInput.Write(stdin); p.StandardInput.Close(); }
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        // Instances are in the test's own root; anything still mounted under it is a test failure
        // that HostLeaks reports, but never leave the directory behind.
        Exec("umount", ["-R", "-l", Root]);
        Directory.Delete(Root, recursive: true);
    }

    private static string FindRepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "Kapsel.slnx"))) dir = System.IO.Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root (Kapsel.slnx) not found");
    }
}

public sealed record Result(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

using System.Diagnostics;

namespace Kapsel.Linux.Host;

/// <summary>
/// Debian packages Kapsel needs on the host (busybox-static, debootstrap, later qemu): found on
/// disk, or installed with apt-get non-interactively when allowed (root, KAPSEL_NO_APT unset).
/// </summary>
public static class HostPackages
{
    /// <summary>
    /// Returns <paramref name="binary"/> once it exists, installing <paramref name="package"/> if needed.
    /// Throws <see cref="HostPackageMissingException"/> with a one-line reason otherwise.
    /// </summary>
    public static string Ensure(string package, string binary, Action<string>? progress = null)
    {
        if (File.Exists(binary)) return binary;
        if (Environment.GetEnvironmentVariable("KAPSEL_NO_APT") is { Length: > 0 })
            throw new HostPackageMissingException(package, binary, "automatic installation is disabled (KAPSEL_NO_APT)");
        if (Interop.ProcessCalls.GetEuid() != 0)
            throw new HostPackageMissingException(package, binary, "installing it needs root");
        if (!File.Exists("/usr/bin/apt-get"))
            throw new HostPackageMissingException(package, binary, "apt-get is not available on this host");

        progress?.Invoke($"installing {package} with apt-get");
        var (code, output) = RunApt(["install", "-y", "-q", "--no-install-recommends", package]);
        if (code != 0 || !File.Exists(binary))
        {
            // The package lists may be missing or stale on a fresh machine: refresh once.
            progress?.Invoke("apt-get update");
            RunApt(["update", "-q"]);
            (code, output) = RunApt(["install", "-y", "-q", "--no-install-recommends", package]);
        }
        if (code != 0 || !File.Exists(binary))
        {
            var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";
            throw new HostPackageMissingException(package, binary, $"apt-get install failed (exit {code}): {last}");
        }
        return binary;
    }

    private static (int Code, string Output) RunApt(string[] args)
    {
        var psi = new ProcessStartInfo("apt-get") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}

public sealed class HostPackageMissingException(string package, string binary, string reason)
    : Exception($"{binary} is missing (Debian package {package}) and {reason}")
{
    public string Package { get; } = package;
}

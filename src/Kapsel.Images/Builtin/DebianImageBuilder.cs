using Kapsel.Linux.Host;

namespace Kapsel.Images.Builtin;

/// <summary>
/// debian:SUITE via `debootstrap --variant=minbase` from the apt mirror this host is configured
/// with. Downloaded packages are cached (KAPSEL_DEBOOTSTRAP_CACHE, default
/// /var/cache/kapsel/debootstrap) so a rebuild needs no network. debootstrap mounts /proc and
/// /sys inside the target while it works; it runs in its own private mount namespace
/// (unshare -m) so an interrupted build cannot leave those mounts on the host.
/// </summary>
public sealed class DebianImageBuilder(string suite) : IBuiltinImageBuilder
{
    public string Build(string rootfs, Action<string>? progress)
    {
        var debootstrap = HostTools.Resolve(HostTools.Debootstrap.At(Environment.GetEnvironmentVariable("KAPSEL_DEBOOTSTRAP")));
        var mirror = AptMirror.Find() ?? throw new ImageException("no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/");
        var cache = Environment.GetEnvironmentVariable("KAPSEL_DEBOOTSTRAP_CACHE") ?? "/var/cache/kapsel/debootstrap";
        Directory.CreateDirectory(cache);

        // Still unshare(1), not the spawn path: moving it is left to the level-contract issue (10, item 7).
        using var p = HostTools.Start(HostTools.Unshare,
            ["--mount", "--propagation", "private", debootstrap, "--variant=minbase", $"--cache-dir={cache}", suite, rootfs, mirror],
            new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" });
        p.StandardInput.Close();
        var log = new List<string>();
        var stderr = p.StandardError.ReadToEndAsync();
        string? line;
        var packages = 0;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            log.Add(line);
            if (line.StartsWith("I: Retrieving ") || line.StartsWith("I: Validating ") || line.StartsWith("I: Unpacking ") || line.StartsWith("I: Configuring "))
                progress?.Invoke($"debootstrap {suite}: {line[3..]} ({++packages} steps)");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            var reason = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Concat(log).LastOrDefault(l => l.StartsWith("E:") || l.StartsWith("W:"))
                         ?? $"exit code {p.ExitCode}";
            throw new ImageException($"debootstrap {suite} from {mirror} failed: {reason.Trim()}");
        }
        // A container's hostname comes from its config; the host's copied name would mislead.
        File.WriteAllText(Path.Combine(rootfs, "etc/hostname"), "debian\n");
        return $"debootstrap --variant=minbase {suite} {mirror}";
    }
}

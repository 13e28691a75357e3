using Kapsel.Linux.Host;

namespace Kapsel.Images.Builtin;

/// <summary>
/// busybox: the host's statically linked busybox (Debian's busybox-static) plus one symlink per
/// applet and the few /etc files programs expect. Tiny, and needs no network once installed.
/// </summary>
public sealed class BusyboxImageBuilder : IBuiltinImageBuilder
{
    public string Build(string rootfs, Action<string>? progress)
    {
        var busybox = HostTools.Resolve(HostTools.Busybox.At(Environment.GetEnvironmentVariable("KAPSEL_BUSYBOX")));
        if (ElfInfo.IsDynamicallyLinked(busybox))
            throw new ImageException($"{busybox} is dynamically linked; the busybox image needs Debian's busybox-static package");

        foreach (var d in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root", "var/log", "run", "home" })
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        File.SetUnixFileMode(Path.Combine(rootfs, "tmp"), (UnixFileMode)0x3ff); // 1777
        File.Copy(busybox, Path.Combine(rootfs, "bin/busybox"));
        File.SetUnixFileMode(Path.Combine(rootfs, "bin/busybox"), (UnixFileMode)0x1ed); // 0755

        foreach (var applet in ListApplets(busybox))
        {
            var link = Path.Combine(rootfs, applet.TrimStart('/'));
            if (File.Exists(link) || applet.EndsWith("/busybox")) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            var depth = applet.Trim('/').Count(c => c == '/');
            File.CreateSymbolicLink(link, string.Concat(Enumerable.Repeat("../", depth)) + "bin/busybox");
        }

        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/hostname"), "busybox\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/os-release"), "NAME=BusyBox\nID=busybox\nPRETTY_NAME=\"BusyBox (Kapsel built-in)\"\n");
        return $"host busybox-static ({busybox})";
    }

    private static IEnumerable<string> ListApplets(string busybox)
    {
        var result = HostTools.Run(HostTools.Busybox.At(busybox), ["--list-full"], timeout: TimeSpan.FromSeconds(30));
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (result.ExitCode != 0 || lines.Length == 0) throw new ImageException($"{busybox} --list-full failed: {result.ErrorLine}");
        return lines.Select(l => "/" + l.TrimStart('/'));
    }
}

using System.Diagnostics;

namespace Kapsel.Linux.Tests;

/// <summary>A throwaway busybox rootfs in a temp dir for spawn tests (the real image store lives in Kapsel.Images).</summary>
public sealed class BusyboxRootfs : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kapsel-test-rootfs-").FullName;

    public BusyboxRootfs()
    {
        foreach (var d in new[] { "bin", "proc", "sys", "dev", "tmp", "etc", "root" })
            Directory.CreateDirectory(System.IO.Path.Combine(Path, d));
        File.Copy("/bin/busybox", System.IO.Path.Combine(Path, "bin/busybox"));
        foreach (var applet in new[] { "sh", "true", "false", "echo", "cat", "ls", "sleep", "id", "hostname", "mount" })
            File.CreateSymbolicLink(System.IO.Path.Combine(Path, "bin", applet), "busybox");
        File.WriteAllText(System.IO.Path.Combine(Path, "bin/notexec"), "not a program");
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

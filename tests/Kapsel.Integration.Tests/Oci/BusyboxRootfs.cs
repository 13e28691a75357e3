namespace Kapsel.Integration.Tests.Oci;

/// <summary>
/// A busybox root filesystem made from the host's busybox-static (no network): the binary, one
/// symlink per applet, the usual empty directories, and the same tree as a tar for importers.
/// </summary>
public sealed class BusyboxRootfs : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("kapsel-bb-").FullName;
    public string Rootfs => Path.Combine(Dir, "rootfs");
    public string Tar => Path.Combine(Dir, "busybox.tar");

    public BusyboxRootfs()
    {
        Populate(Rootfs);
        OciTestEnv.Must("tar", "-C", Rootfs, "-cf", Tar, ".");
    }

    public static void Populate(string rootfs)
    {
        foreach (var d in new[] { "bin", "proc", "sys", "dev", "tmp", "etc", "root", "run" })
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin/busybox"));
        var applets = OciTestEnv.Must("/bin/busybox", "--list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var applet in applets.Where(a => a != "busybox"))
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/group"), "root:x:0:\ntty:x:5:\n");
    }

    public void Dispose() => OciTestEnv.Scrub(Dir);
}

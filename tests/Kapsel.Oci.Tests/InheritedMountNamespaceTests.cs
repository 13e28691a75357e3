namespace Kapsel.Oci.Tests;

/// <summary>No "mount" in linux.namespaces: the container inherits the runtime's mount namespace (runtime-spec).</summary>
public sealed class InheritedMountNamespaceTests
{
    private static int MountsUnder(string dir) => File.ReadLines("/proc/self/mountinfo").Count(l => l.Split(' ')[4].StartsWith(dir, StringComparison.Ordinal));

    [Fact]
    public void ContainerSharesTheMountNamespaceAndDeleteRemovesItsMounts()
    {
        var hostMntNs = new FileInfo("/proc/self/ns/mnt").LinkTarget;
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "mount");
            s.Process!.Args = ["sh", "-c", "cat /proc/1/cmdline > /dev/null && echo proc > /tmp/proc; sleep 1000"];
        });
        var pidFile = Path.Combine(b.Dir, "pid");
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "--pid-file", pidFile, "im1");
        Assert.True(code == 0, err);
        Assert.Equal(hostMntNs, new FileInfo($"/proc/{File.ReadAllText(pidFile).Trim()}/ns/mnt").LinkTarget);
        Assert.True(MountsUnder(b.Rootfs) > 0, "the container's mounts are in the runtime's namespace");
        Assert.Equal(0, b.Oci("start", "im1").Code);
        for (var i = 0; i < 200 && !File.Exists(Path.Combine(b.Rootfs, "tmp/proc")); i++) Thread.Sleep(10);
        Assert.Equal("proc", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/proc")).Trim());
        // exec follows the container's root, too.
        var (ecode, _, eerr) = b.Oci("exec", "im1", "sh", "-c", "echo exec > /tmp/exec");
        Assert.True(ecode == 0, eerr);
        Assert.Equal("exec", File.ReadAllText(Path.Combine(b.Rootfs, "tmp/exec")).Trim());

        Assert.Equal(0, b.Oci("delete", "--force", "im1").Code);
        Assert.Equal(0, MountsUnder(b.Rootfs));
    }

    [Fact]
    public void NoNamespacesAtAllInheritsEveryOne()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces = null;
            s.Hostname = null;
            s.Process!.Args = ["true"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "im3");
        Assert.True(code == 0, err);
        Assert.Equal(0, MountsUnder(b.Rootfs));
    }

    [Fact]
    public void FailedCreateLeavesNoMounts()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "mount");
            s.Mounts!.Add(new Kapsel.Oci.Spec.MountSpec { Destination = "/x", Type = "nosuchfs", Source = "none" });
        });
        var (code, _, _) = b.Oci("create", "--bundle", b.Dir, "im2");
        Assert.NotEqual(0, code);
        Assert.Equal(0, MountsUnder(b.Rootfs));
    }
}

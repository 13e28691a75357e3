namespace Kapsel.Oci.Tests;

/// <summary>
/// CVE-2019-5736: a container must not get the runtime to execute its own binary inside the
/// container (through /proc/self/exe, a magic link to it while the init is still a clone of the
/// runtime), from where the binary could be reopened and overwritten on the host.
/// </summary>
public sealed class RuntimeBinaryProtectionTests
{
    [Fact]
    public void EntrypointLinkingToProcSelfExeIsRefused()
    {
        using var b = new BusyboxBundle(s => s.Process!.Args = ["/bin/evil"]);
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "bin/evil"), "/proc/self/exe");
        // A decoy so the host-side lookup (which never follows magic links) finds a file there.
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "proc/self"));
        File.WriteAllText(Path.Combine(b.Rootfs, "proc/self/exe"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(b.Rootfs, "proc/self/exe"), (UnixFileMode)0x1ed);

        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "evil1");
        Assert.NotEqual(0, code);
        Assert.Contains("magic link", err);
        Assert.False(Directory.Exists(Path.Combine(b.Root, "evil1")));
    }

    [Fact]
    public void WorkingDirectoryThroughALeakedFdIsRefused()
    {
        // CVE-2024-21626: fd 1000 is the runtime's O_PATH fd of its state directory in the init.
        using var b = new BusyboxBundle(s =>
        {
            s.Process!.Args = ["sh", "-c", "ls .. > /tmp/out"];
            s.Process.Cwd = "/proc/self/fd/1000";
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "cwd1");
        Assert.NotEqual(0, code);
        Assert.Contains("magic link", err);
        Assert.False(File.Exists(Path.Combine(b.Rootfs, "tmp/out")));
    }

    [Fact]
    public void ExecOfProcSelfExeIsRefused()
    {
        using var b = new BusyboxBundle();
        Assert.Equal(0, b.Oci("run", "--detach", "--bundle", b.Dir, "evil2").Code);
        var (code, _, err) = b.Oci("exec", "evil2", "/proc/self/exe", "--version");
        Assert.NotEqual(0, code);
        Assert.False(string.IsNullOrWhiteSpace(err));
        Assert.Equal(0, b.Oci("delete", "--force", "evil2").Code);
    }
}

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// debian:bookworm, built by debootstrap during test setup (test.sh runs `kapsel setup --debian`
/// into .build/test-images, the only step that talks to the apt mirror), run at the chroot level.
/// </summary>
public sealed class DebianImageTests
{
    private static string SharedRoot => Path.Combine(KapselBinary.RepoRoot, ".build/test-images");

    [Fact]
    public void DebianBookwormRunsAtTheChrootLevel()
    {
        Assert.True(Directory.Exists(Path.Combine(SharedRoot, "images/debian/bookworm/rootfs")),
            "debian:bookworm was not built by test setup: run ./test.sh (it runs `kapsel --root .build/test-images setup --debian`)");
        var r = KapselBinary.Exec(KapselBinary.Path, ["--root", SharedRoot, "run", "--level", "chroot", "--rm", "debian:bookworm", "--",
            "/bin/sh", "-c", "cat /etc/debian_version; dpkg-query -W -f='${Package}\\n' dpkg; cat /etc/hostname"]);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.StartsWith("12.", lines[0]);
        Assert.Equal("dpkg", lines[1]);
        Assert.Equal("debian", lines[2]);
        var images = KapselBinary.Exec(KapselBinary.Path, ["--root", SharedRoot, "image", "ls", "--format", "json"]);
        Assert.Contains("\"tag\": \"bookworm\"", images.Stdout);
        Assert.Contains("debootstrap --variant=minbase bookworm", images.Stdout);
        Assert.Empty(HostLeaks.InstanceDirs(SharedRoot));
        Assert.Empty(HostLeaks.MountsUnder(SharedRoot));
    }
}

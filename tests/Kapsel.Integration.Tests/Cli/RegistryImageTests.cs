using Kapsel.Images.Layout;
using Kapsel.Images.References;
using Kapsel.Images.Registry;
using Kapsel.Images.Tests;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// An image pushed to a real registry on 127.0.0.1 (Debian's docker-registry), pulled by the
/// kapsel binary and run at the app and chroot levels from its unpacked layers.
/// </summary>
public sealed class RegistryImageTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();
    private readonly LocalRegistry _registry = new(RegistryMode.Anonymous);
    private readonly string _source = Directory.CreateTempSubdirectory("kapsel-it-src-").FullName;

    public void Dispose()
    {
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
        _registry.Dispose();
        Directory.Delete(_source, recursive: true);
        _kapsel.Dispose();
    }

    private string PushBusybox(string repoTag)
    {
        var layout = OciLayout.Open(_source);
        var (manifest, _) = TestImages.Busybox(layout, repoTag);
        var name = ImageName.Parse($"{_registry.Host}/{repoTag}");
        new ImagePusher(layout, new RegistryOptions()).PushAsync(manifest, name).GetAwaiter().GetResult();
        return name.ToString();
    }

    [Fact]
    public void PullThenRunAtAppAndChrootLevels()
    {
        var reference = PushBusybox("tools/busybox:1.0");
        var pull = _kapsel.Run("pull", reference);
        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.Contains("busybox", _kapsel.Run("images").Stdout);

        var app = _kapsel.Run("run", "--rm", reference, "--", "/bin/sh", "-c", "echo app; cat /etc/passwd | head -1");
        Assert.True(app.ExitCode == 0, app.ToString());
        Assert.StartsWith("app\n", app.Stdout);

        var chroot = _kapsel.Run("run", "--level", "chroot", "--rm", reference, "--", "/bin/sh", "-c", "echo chroot");
        Assert.Equal(0, chroot.ExitCode);
        Assert.Equal("chroot\n", chroot.Stdout);
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
    }

    [Fact]
    public void RunPullsAMissingImageAndAWrongReferenceIsAClearError()
    {
        var reference = PushBusybox("auto/busybox:2");
        var r = _kapsel.Run("run", "--rm", reference, "--", "/bin/sh", "-c", "echo pulled on the way");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("pulled on the way\n", r.Stdout);

        var missing = _kapsel.Run("run", "--rm", $"{_registry.Host}/no/such:tag", "true");
        Assert.Equal(125, missing.ExitCode);
        Assert.Single(missing.Stderr.Trim().Split('\n'));
        var bad = _kapsel.Run("pull", "UPPER/Case");
        Assert.Equal(125, bad.ExitCode);
        Assert.DoesNotContain("   at ", bad.Stderr);
    }
}

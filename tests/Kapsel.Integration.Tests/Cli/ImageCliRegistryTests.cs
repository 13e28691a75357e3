using Kapsel.Images.Tests;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// login/logout and push against Debian's docker-registry on 127.0.0.1: anonymous, htpasswd
/// basic auth, and bearer tokens from the in-test token server; pulled back into a second root.
/// </summary>
public sealed class ImageCliRegistryTests : IDisposable
{
    private readonly ImageCliFixture _f = new();
    private readonly KapselBinary _other = new();

    public void Dispose()
    {
        Assert.Empty(HostLeaks.MountsUnder(_other.Root));
        _other.Dispose();
        _f.Dispose();
    }

    private static string AuthFile(KapselBinary k) => Path.Combine(k.Root, "auth.json");

    private static void Login(KapselBinary k, LocalRegistry reg)
    {
        var r = KapselBinary.Exec(KapselBinary.Path, ["--root", k.Root, "login", "-u", LocalRegistry.User, "--password-stdin", reg.Host], stdin: LocalRegistry.Password + "\n");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("Login Succeeded\n", r.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(AuthFile(k)));
        Assert.Contains(reg.Host, File.ReadAllText(AuthFile(k)));
    }

    [Theory]
    [InlineData(RegistryMode.Anonymous)]
    [InlineData(RegistryMode.Basic)]
    [InlineData(RegistryMode.Token)]
    public void PushPullBackAndMountAcrossRepositories(RegistryMode mode)
    {
        using var reg = new LocalRegistry(mode);
        var target = $"{reg.Host}/kapsel/bb:1";
        if (mode != RegistryMode.Anonymous)
        {
            ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("push", "busybox", target));
            Login(_f.Kapsel, reg);
        }
        var push = _f.Must("push", "busybox", target); // a built-in image, converted on the fly
        Assert.Contains($"{reg.Host}/kapsel/bb:1: digest: sha256:", push.Stdout);
        Assert.Contains(": Pushed", push.Stdout);
        Assert.Contains("Layer already exists", _f.Must("image", "push", "busybox", target).Stdout);
        if (mode == RegistryMode.Token) Assert.True(reg.TokensIssued > 0);

        // Another root pulls it back and runs it; pushing it to another repository mounts the blobs.
        if (mode != RegistryMode.Anonymous) Login(_other, reg);
        var pulled = _other.Run("run", "--rm", target, "--", "/bin/sh", "-c", "echo round trip");
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.Equal("round trip\n", pulled.Stdout);
        var mounted = _other.Run("push", target, $"{reg.Host}/elsewhere/bb:2");
        Assert.True(mounted.ExitCode == 0, mounted.ToString());
        Assert.Contains("Mounted from kapsel/bb", mounted.Stdout);
        var digest = push.Stdout.Split("digest: ")[1].Split(' ')[0];
        Assert.Equal(digest, _other.Run("push", "-q", target, $"{reg.Host}/elsewhere/bb:2").Stdout.Trim());

        if (mode != RegistryMode.Anonymous)
        {
            var logout = _f.Must("logout", reg.Host);
            Assert.Contains("Removed login credentials", logout.Stdout);
            Assert.DoesNotContain(reg.Host, File.ReadAllText(AuthFile(_f.Kapsel)));
            ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("push", "busybox", $"{reg.Host}/kapsel/bb:3"));
            Assert.Contains("Not logged in", _f.Must("logout", reg.Host).Stdout);
        }
    }

    [Theory]
    [InlineData(RegistryMode.Basic)]
    [InlineData(RegistryMode.Token)]
    public void WrongPasswordIsRefusedAndNothingIsStored(RegistryMode mode)
    {
        using var reg = new LocalRegistry(mode);
        var r = _f.Kapsel.Run("login", "-u", LocalRegistry.User, "-p", "wrong-password", reg.Host);
        ImageCliFixture.AssertOneLineFailure(r, $"login to {reg.Host} failed");
        Assert.False(File.Exists(AuthFile(_f.Kapsel)));
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("login", "-u", "nobody", "-p", LocalRegistry.Password, reg.Host));
        Assert.False(File.Exists(AuthFile(_f.Kapsel)));
        Assert.Equal(125, _f.Kapsel.Run("login", reg.Host).ExitCode); // no user and no terminal to ask on
    }
}

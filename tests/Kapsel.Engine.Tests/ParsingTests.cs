using Kapsel.Cli;
using Kapsel.Images;
using Kapsel.Images.Builtin;

namespace Kapsel.Engine.Tests;

public sealed class ParsingTests
{
    [Theory]
    [InlineData("busybox", "busybox", "latest")]
    [InlineData("debian:bookworm", "debian", "bookworm")]
    [InlineData("Busybox:1.36", "busybox", "1.36")]
    [InlineData("library/foo:x_y-z", "library/foo", "x_y-z")]
    public void ImageReferencesParse(string text, string name, string tag)
    {
        var r = ImageReference.Parse(text);
        Assert.Equal(name, r.Name);
        Assert.Equal(tag, r.Tag);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData("../etc")]
    [InlineData("x:")]
    [InlineData("x:a/b")]
    [InlineData("sp ace")]
    public void BadImageReferencesAreRejected(string text) =>
        Assert.Throws<ImageException>(() => ImageReference.Parse(text));

    [Fact]
    public void AptMirrorFromDeb822AndOneLineFormats()
    {
        Assert.Equal("http://deb.debian.org/debian", AptMirror.Parse("""
            Types: deb
            # comment
            URIs: http://deb.debian.org/debian
            Suites: bookworm
            """, deb822: true));
        Assert.Equal("http://mirror.example/debian", AptMirror.Parse("""
            deb http://security.debian.org/debian-security bookworm-security main
            deb [arch=amd64] http://mirror.example/debian bookworm main
            """, deb822: false));
        Assert.Null(AptMirror.Parse("# nothing\n", deb822: false));
    }

    [Fact]
    public void HostBusyboxIsStaticAndShellIsDynamic()
    {
        Assert.False(ElfInfo.IsDynamicallyLinked("/bin/busybox"));
        Assert.True(ElfInfo.IsDynamicallyLinked("/bin/bash"));
        Assert.Throws<ImageException>(() => ElfInfo.IsDynamicallyLinked("/etc/passwd"));
    }

    [Fact]
    public void RunArgumentsSplitAtTheImage()
    {
        var (options, image, command) = ArgReader.SplitAtImage(
            ["--level", "chroot", "--rm", "-e", "A=1", "busybox", "ls", "-l", "--", "x"], new HashSet<string> { "--level", "-e" });
        Assert.Equal("busybox", image);
        Assert.Equal(["ls", "-l", "--", "x"], command);
        Assert.Equal("chroot", options.Value("--level"));
        Assert.Equal(["A=1"], options.Values("-e"));
        Assert.True(options.Flag("--rm"));
        Assert.Empty(options.Positionals());

        var (_, image2, command2) = ArgReader.SplitAtImage(["--rm", "busybox", "--", "/bin/sh", "-c", "x"], new HashSet<string>());
        Assert.Equal("busybox", image2);
        Assert.Equal(["/bin/sh", "-c", "x"], command2);
    }

    [Fact]
    public void CombinedShortFlagsExpandAndUnknownOptionsFail()
    {
        var args = new ArgReader(["-aq", "--format=json"]);
        Assert.True(args.Flag("-a"));
        Assert.True(args.Flag("-q"));
        Assert.Equal("json", args.Value("--format"));
        Assert.Throws<UsageException>(() => new ArgReader(["--bogus"]).Positionals());
        Assert.Throws<UsageException>(() => new ArgReader(["--name"]).Value("--name"));
    }
}

using Kapsel.Images.References;

namespace Kapsel.Images.Tests;

public class ImageNameTests
{
    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest", "busybox:latest")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", "docker.io/library/busybox:1.36", "busybox:1.36")]
    [InlineData("user/app", "docker.io", "user/app", "latest", "docker.io/user/app:latest", "user/app:latest")]
    [InlineData("index.docker.io/library/debian:12", "docker.io", "library/debian", "12", "docker.io/library/debian:12", "debian:12")]
    [InlineData("localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", "localhost:5000/a/b:tag", "localhost:5000/a/b:tag")]
    [InlineData("localhost/x", "localhost", "x", "latest", "localhost/x:latest", "localhost/x:latest")]
    [InlineData("127.0.0.1:5000/x-y__z.w:v1.0-rc_1", "127.0.0.1:5000", "x-y__z.w", "v1.0-rc_1", "127.0.0.1:5000/x-y__z.w:v1.0-rc_1", "127.0.0.1:5000/x-y__z.w:v1.0-rc_1")]
    [InlineData("quay.io/org/sub/img", "quay.io", "org/sub/img", "latest", "quay.io/org/sub/img:latest", "quay.io/org/sub/img:latest")]
    public void Normalises_like_docker(string input, string registry, string repo, string tag, string full, string familiar)
    {
        var n = ImageName.Parse(input);
        Assert.Equal(registry, n.Registry);
        Assert.Equal(repo, n.Repository);
        Assert.Equal(tag, n.TagOrLatest);
        Assert.Equal(full, n.ToString());
        Assert.Equal(familiar, n.Familiar);
    }

    [Fact]
    public void Digest_references()
    {
        var digest = "sha256:" + new string('0', 64);
        var n = ImageName.Parse("busybox@" + digest);
        Assert.Equal(digest, n.Digest);
        Assert.Null(n.Tag);
        Assert.Equal(digest, n.ManifestReference);
        Assert.Equal("docker.io/library/busybox@" + digest, n.ToString());
        var both = ImageName.Parse("localhost:5000/a:v1@" + digest);
        Assert.Equal("v1", both.Tag);
        Assert.Equal(digest, both.ManifestReference);
        Assert.Equal("registry-1.docker.io", ImageName.Parse("busybox").ApiHost);
    }

    [Theory]
    [InlineData("", "empty reference")]
    [InlineData("Busybox", "must be lowercase")]
    [InlineData("UPPER/case", "must be lowercase")] // not a registry host to look up (hostile-input item 12)
    [InlineData("Registry/x:1", "must be lowercase")]
    [InlineData("busybox:", "tag \"\"")]
    [InlineData("busybox:-bad", "tag \"-bad\"")]
    [InlineData("a//b", "empty path component")]
    [InlineData("a/b/", "empty path component")]
    [InlineData("a/-b", "path component \"-b\"")]
    [InlineData("busybox@sha256:abc", "digest \"sha256:abc\"")]
    [InlineData("localhost:99999/x", "registry \"localhost:99999\"")]
    [InlineData(":tag", "missing repository name")]
    public void Rejects_with_a_clear_message(string input, string expected)
    {
        var e = Assert.Throws<ImageException>(() => ImageName.Parse(input));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("invalid image reference", e.Message);
    }
}

namespace Kapsel.Oci.Tests;

/// <summary>linux.rootfsPropagation: every value starts a container and ends up on its root mount.</summary>
public sealed class RootfsPropagationTests
{
    /// <summary>The optional fields of the container's "/" line in its mountinfo (shared:N, master:N, unbindable).</summary>
    private static string RootPropagation(string? propagation)
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.RootfsPropagation = propagation;
            s.Process!.Args = ["sh", "-c", "cat /proc/self/mountinfo > /tmp/mountinfo"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "rp1");
        Assert.True(code == 0, err);
        var fields = File.ReadAllLines(Path.Combine(b.Rootfs, "tmp/mountinfo")).Select(l => l.Split(' ')).Single(f => f[4] == "/");
        var separator = Array.IndexOf(fields, "-");
        return string.Join(' ', fields[6..separator]);
    }

    [Fact]
    public void SharedRootIsShared() => Assert.Contains("shared:", RootPropagation("shared"));

    [Fact]
    public void RsharedRootIsShared() => Assert.Contains("shared:", RootPropagation("rshared"));

    [Fact]
    public void UnbindableRootIsUnbindable() => Assert.Equal("unbindable", RootPropagation("unbindable"));

    [Fact]
    public void PrivateRootHasNoPropagation() => Assert.Equal("", RootPropagation("private"));

    [Fact]
    public void DefaultRootIsASlave()
    {
        // With a host root that is itself private there is no master to follow: no tag either way.
        var tags = RootPropagation(null);
        Assert.DoesNotContain("shared:", tags);
        Assert.DoesNotContain("unbindable", tags);
    }
}

using System.Runtime.InteropServices;
using Kapsel.Images.Build;

namespace Kapsel.Images.Tests;

/// <summary>Path lookups through layer dirs (as COPY destinations need them), without mounting.</summary>
public partial class MergedViewTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [LibraryImport("libc.so.6", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc.so.6", EntryPoint = "lsetxattr", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte[] value, nuint size, int flags);

    private (MergedView View, string Lower, string Upper) Layers()
    {
        var lower = _tmp.Sub("lower");
        var upper = _tmp.Sub("upper");
        Directory.CreateDirectory(Path.Combine(lower, "usr/bin"));
        File.CreateSymbolicLink(Path.Combine(lower, "bin"), "usr/bin");
        Directory.CreateDirectory(Path.Combine(lower, "etc"));
        File.WriteAllText(Path.Combine(lower, "etc/a"), "a");
        Directory.CreateDirectory(Path.Combine(lower, "opq"));
        File.WriteAllText(Path.Combine(lower, "opq/hidden"), "h");
        File.CreateSymbolicLink(Path.Combine(lower, "abs"), "/usr");
        Directory.CreateDirectory(Path.Combine(upper, "etc"));
        Assert.Equal(0, mknod(Path.Combine(upper, "etc/a"), 0x2000, 0));
        Directory.CreateDirectory(Path.Combine(upper, "opq"));
        Assert.Equal(0, lsetxattr(Path.Combine(upper, "opq"), "trusted.overlay.opaque", "y"u8.ToArray(), 1, 0));
        File.WriteAllText(Path.Combine(upper, "opq/new"), "n");
        return (new MergedView([upper, lower]), lower, upper);
    }

    [Fact]
    public void WhiteoutsAndOpaqueDirsHideLowerFiles()
    {
        var (view, lower, upper) = Layers();
        Assert.Null(view.Lstat("etc/a"));
        Assert.Null(view.Lstat("opq/hidden"));
        Assert.Equal(upper, view.Lstat("opq/new")!.Value.Layer);
        Assert.Equal(lower, view.Lstat("usr/bin")!.Value.Layer);
        Assert.True(view.Lstat("bin")!.Value.Stat.IsSymlink);
    }

    [Fact]
    public void SymlinkedParentsResolveInsideTheImage()
    {
        var (view, _, _) = Layers();
        Assert.Equal("usr/bin/tool", view.ResolveParents("/bin/tool"));
        Assert.Equal("usr/x", view.ResolveParents("/abs/x"));
        Assert.Equal("usr/bin/a/b", view.ResolveParents("bin/../bin/a/b"));
        Assert.Equal("new/dir/f", view.ResolveParents("/new/dir/f"));
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Tests;

/// <summary>Overlay upper dirs and plain trees turned into layer tars, read back with the strict reader and the unpacker.</summary>
public partial class LayerDiffWriterTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [LibraryImport("libc.so.6", EntryPoint = "lsetxattr", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte[] value, nuint size, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc.so.6", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldPath, string newPath);

    [LibraryImport("libc.so.6", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, int uid, int gid);

    private static void SetXattr(string path, string name, string value)
    {
        var v = System.Text.Encoding.UTF8.GetBytes(value);
        Assert.Equal(0, lsetxattr(path, name, v, (nuint)v.Length, 0));
    }

    /// <summary>An upper dir as overlayfs leaves it: new files, a whiteout, an opaque dir, a hard link, a symlink, owners, xattrs.</summary>
    private string MakeUpper()
    {
        var u = _tmp.Sub("upper");
        Directory.CreateDirectory(Path.Combine(u, "etc"));
        File.WriteAllText(Path.Combine(u, "etc/new.conf"), "new\n");
        File.SetUnixFileMode(Path.Combine(u, "etc/new.conf"), (UnixFileMode)0x1a0); // 0640
        Assert.Equal(0, lchown(Path.Combine(u, "etc/new.conf"), 1000, 1001));
        Assert.Equal(0, mknod(Path.Combine(u, "etc/gone"), 0x2000, 0)); // whiteout: char 0/0
        Directory.CreateDirectory(Path.Combine(u, "opaque"));
        SetXattr(Path.Combine(u, "opaque"), "trusted.overlay.opaque", "y");
        SetXattr(Path.Combine(u, "etc"), "trusted.overlay.origin", "junk");
        File.WriteAllText(Path.Combine(u, "opaque/kept"), "kept\n");
        File.WriteAllText(Path.Combine(u, "a"), "same inode\n");
        Assert.Equal(0, link(Path.Combine(u, "a"), Path.Combine(u, "z-link")));
        File.CreateSymbolicLink(Path.Combine(u, "sym"), "/etc/new.conf");
        SetXattr(Path.Combine(u, "a"), "user.note", "hello");
        File.WriteAllText(Path.Combine(u, new string('n', 120)), "long name\n");
        return u;
    }

    private static List<TarEntry> Read(byte[] tar, Dictionary<string, string>? contents = null)
    {
        var reader = new TarStreamReader(new MemoryStream(tar));
        var list = new List<TarEntry>();
        var buf = new byte[1 << 16];
        while (reader.Next() is { } e)
        {
            list.Add(e);
            using var data = new MemoryStream();
            int n;
            while ((n = reader.ReadData(buf)) > 0) data.Write(buf, 0, n);
            if (contents is not null && e.Kind == TarEntryKind.File) contents[e.Name] = System.Text.Encoding.UTF8.GetString(data.ToArray());
        }
        return list;
    }

    private static byte[] Write(string dir, LayerSource source)
    {
        using var ms = new MemoryStream();
        LayerDiffWriter.Write(ms, dir, source);
        return ms.ToArray();
    }

    [Fact]
    public void UpperDirBecomesLayerWithWhiteoutsOpaqueDirsLinksOwnersAndXattrs()
    {
        var upper = MakeUpper();
        var contents = new Dictionary<string, string>();
        var entries = Read(Write(upper, LayerSource.OverlayUpper), contents);
        var names = entries.Select(e => e.Name).ToList();

        Assert.Contains("etc/.wh.gone", names);
        Assert.DoesNotContain("etc/gone", names);
        Assert.Contains("opaque/.wh..wh..opq", names);
        Assert.True(names.IndexOf("opaque/.wh..wh..opq") < names.IndexOf("opaque/kept"));

        var conf = entries.Single(e => e.Name == "etc/new.conf");
        Assert.Equal((0x1a0u, 1000, 1001), (conf.Mode, conf.Uid, conf.Gid));
        Assert.Equal("new\n", contents["etc/new.conf"]);

        var etc = entries.Single(e => e.Name == "etc/");
        Assert.Equal(TarEntryKind.Directory, etc.Kind);
        Assert.Null(etc.Xattrs); // trusted.overlay.* is overlay's own bookkeeping
        Assert.Null(entries.Single(e => e.Name == "opaque/").Xattrs);

        var first = entries.Single(e => e.Name == "a");
        Assert.Equal(TarEntryKind.File, first.Kind);
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(first.Xattrs!["user.note"]));
        var hard = entries.Single(e => e.Name == "z-link");
        Assert.Equal((TarEntryKind.HardLink, "a"), (hard.Kind, hard.LinkName));

        var sym = entries.Single(e => e.Name == "sym");
        Assert.Equal((TarEntryKind.Symlink, "/etc/new.conf"), (sym.Kind, sym.LinkName));
        Assert.Contains(new string('n', 120), names); // PAX path
    }

    [Fact]
    public void LayerUnpacksToTheSameOverlayForm()
    {
        var upper = MakeUpper();
        var target = _tmp.Sub("unpacked");
        LayerUnpacker.Unpack(new MemoryStream(Write(upper, LayerSource.OverlayUpper)), target);
        Assert.True(FileStat.Lstat(Path.Combine(target, "etc/gone"))!.Value.IsWhiteout);
        Assert.Equal("y", System.Text.Encoding.UTF8.GetString(FileStat.Xattrs(Path.Combine(target, "opaque"))["trusted.overlay.opaque"]));
        var a = FileStat.Lstat(Path.Combine(target, "a"))!.Value;
        var z = FileStat.Lstat(Path.Combine(target, "z-link"))!.Value;
        Assert.Equal(a.Inode, z.Inode);
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(target, "etc/new.conf")));
    }

    [Fact]
    public void OutputIsDeterministicAndBlobDigestsMatch()
    {
        var upper = MakeUpper();
        var one = Write(upper, LayerSource.OverlayUpper);
        var two = Write(upper, LayerSource.OverlayUpper);
        Assert.Equal(one, two);

        var store = new ContentStore(_tmp.Sub("store"));
        var blob = LayerBlobWriter.WriteDirectory(store, upper, LayerSource.OverlayUpper);
        var again = LayerBlobWriter.WriteDirectory(store, upper, LayerSource.OverlayUpper);
        Assert.Equal(blob.Descriptor.Digest, again.Descriptor.Digest);
        Assert.Equal(Digest.Of(one), blob.DiffId);
        Assert.Equal(MediaTypes.OciLayerGzip, blob.Descriptor.MediaType);
        Assert.True(store.Verify(blob.Descriptor.Digest));
        Assert.Equal(store.SizeOf(blob.Descriptor.Digest), blob.Descriptor.Size);
        using var gz = new System.IO.Compression.GZipStream(store.OpenRead(blob.Descriptor.Digest), System.IO.Compression.CompressionMode.Decompress);
        Assert.Equal(blob.DiffId, Digest.Of(gz));
        Assert.Empty(Directory.GetFiles(store.BlobsDir, ".tmp-*"));
    }

    [Fact]
    public void ExcludedPathsAreLeftOutWithWhatIsBelowThem()
    {
        var upper = MakeUpper();
        using var ms = new MemoryStream();
        var tar = new TarStreamWriter(ms);
        LayerDiffWriter.WriteEntries(tar, upper, LayerSource.OverlayUpper, exclude: new HashSet<string> { "etc", "opaque/kept" });
        tar.Finish();
        var names = Read(ms.ToArray()).Select(e => e.Name).ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("etc"));
        Assert.DoesNotContain("opaque/kept", names);
        Assert.Contains("opaque/.wh..wh..opq", names);
    }

    [Fact]
    public void RootfsModeKeepsDevicesAsDevices()
    {
        var root = _tmp.Sub("rootfs");
        Directory.CreateDirectory(Path.Combine(root, "dev"));
        Assert.Equal(0, mknod(Path.Combine(root, "dev/null"), 0x2000 | 0x1b6, (1 << 8) | 3));
        Assert.Equal(0, mknod(Path.Combine(root, "dev/zero0"), 0x2000, 0));
        var entries = Read(Write(root, LayerSource.Rootfs));
        var dev = entries.Single(e => e.Name == "dev/null");
        Assert.Equal((TarEntryKind.CharDevice, 1u, 3u), (dev.Kind, dev.DevMajor, dev.DevMinor));
        Assert.Equal(TarEntryKind.CharDevice, entries.Single(e => e.Name == "dev/zero0").Kind); // not a whiteout in a rootfs
    }

    [Fact]
    public void HostBusyboxTreeRoundTrips()
    {
        var root = _tmp.Sub("bb");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        File.CreateSymbolicLink(Path.Combine(root, "bin/sh"), "busybox");
        var target = _tmp.Sub("bb-out");
        LayerUnpacker.Unpack(new MemoryStream(Write(root, LayerSource.Rootfs)), target);
        Assert.Equal(File.ReadAllBytes("/bin/busybox"), File.ReadAllBytes(Path.Combine(target, "bin/busybox")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(target, "bin/sh")).LinkTarget);
        var psi = new ProcessStartInfo("tar", ["-tvf", "-"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var tar = Process.Start(psi)!;
        tar.StandardInput.BaseStream.Write(Write(root, LayerSource.Rootfs));
        tar.StandardInput.Close();
        var listing = tar.StandardOutput.ReadToEnd();
        tar.WaitForExit();
        Assert.Equal(0, tar.ExitCode); // GNU tar agrees with the format
        Assert.Contains("bin/sh -> busybox", listing);
    }
}

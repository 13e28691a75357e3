using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Xunit.Abstractions;

namespace Kapsel.Images.Tests;

public partial class LayerUnpackTests(ITestOutputHelper output)
{
    [LibraryImport("libc.so.6", EntryPoint = "lgetxattr", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint lgetxattr(string path, string name, byte[] value, nuint size);

    [LibraryImport("libc.so.6", EntryPoint = "lsetxattr", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte[] value, nuint size, int flags);

    private static string? Xattr(string path, string name)
    {
        var buf = new byte[256];
        var n = lgetxattr(path, name, buf, (nuint)buf.Length);
        return n < 0 ? null : Encoding.UTF8.GetString(buf, 0, (int)n);
    }

    private static (uint Mode, int Uid, int Gid, long Ino, ulong Rdev) Stat(string path)
    {
        var psi = new ProcessStartInfo("stat", ["-c", "%f %u %g %i %t %T", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var f = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return (Convert.ToUInt32(f[0], 16), int.Parse(f[1]), int.Parse(f[2]), long.Parse(f[3]), Convert.ToUInt64(f[4], 16) << 8 | Convert.ToUInt64(f[5], 16));
    }

    private static byte[] RichLayer() => new TarBuilder()
        .Dir("./")
        .Dir("bin")
        .File("bin/tool", "#!/bin/sh\necho hi\n", (UnixFileMode)0xded /* 06755 */, uid: 1000, gid: 1001)
        .Dir("tmp", (UnixFileMode)0x3ff /* 01777 */)
        .Symlink("bin/sh", "/bin/busybox")
        .Symlink("abs", "/etc/passwd")
        .HardLink("bin/tool2", "bin/tool")
        .Fifo("run.fifo")
        .CharDevice("dev/null", 1, 3)
        .File("deep/implied/parent/file", "x")
        .File("caps", "c", pax: [new("SCHILY.xattr.user.note", "hello"), new("SCHILY.xattr.trusted.overlay.opaque", "y")])
        .File("etc/.wh.removed", "")
        .File("var/.wh..wh..opq", "")
        .File("var/new", "n")
        .Build();

    [Fact]
    public void Unpacks_all_entry_kinds_into_overlay_form()
    {
        using var tmp = new TempDir();
        var store = new LayerStore(tmp.Sub("layers"));
        var tar = RichLayer();
        var diffId = Digest.Of(tar);
        var result = store.Unpack(new MemoryStream(tar), diffId);
        Assert.NotNull(result);
        var root = store.LayerPath(diffId);

        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(Path.Combine(root, "bin/tool")));
        var tool = Stat(Path.Combine(root, "bin/tool"));
        Assert.Equal(0xdedu, tool.Mode & 0xfff); // setuid+setgid survive the chown
        Assert.Equal((1000, 1001), (tool.Uid, tool.Gid));
        Assert.Equal(tool.Ino, Stat(Path.Combine(root, "bin/tool2")).Ino);
        Assert.Equal(0x3ffu, Stat(Path.Combine(root, "tmp")).Mode & 0xfff);
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(root, "bin/sh")).LinkTarget);
        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(root, "abs")).LinkTarget);
        Assert.Equal(0x1000u, Stat(Path.Combine(root, "run.fifo")).Mode & 0xf000);
        Assert.False(File.Exists(Path.Combine(root, "dev/null")) || Directory.Exists(Path.Combine(root, "dev/null")), "devices are skipped by default");
        Assert.Equal(1, result!.SkippedDevices);
        Assert.Equal("x", File.ReadAllText(Path.Combine(root, "deep/implied/parent/file")));
        Assert.Equal("hello", Xattr(Path.Combine(root, "caps"), "user.note"));
        Assert.Null(Xattr(Path.Combine(root, "caps"), "trusted.overlay.opaque")); // forged overlay xattrs are dropped
        var whiteout = Stat(Path.Combine(root, "etc/removed"));
        Assert.Equal((0x2000u, 0UL), (whiteout.Mode & 0xf000, whiteout.Rdev));
        Assert.Equal("y", Xattr(Path.Combine(root, "var"), "trusted.overlay.opaque"));
        Assert.False(File.Exists(Path.Combine(root, "var/.wh..wh..opq")));
        Assert.Equal(TarBuilder.Epoch.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(root, "bin/tool")));
        Assert.Equal(TarBuilder.Epoch.UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(root, "bin")));
        Assert.Equal((1, 1), (result.Whiteouts, result.OpaqueDirs));

        // Once per diff_id: a second unpack is a no-op.
        Assert.Null(store.Unpack(new MemoryStream(tar), diffId));
        Assert.Empty(Directory.GetDirectories(store.Root, ".tmp-*"));
    }

    [Fact]
    public void Devices_are_created_when_allowed()
    {
        using var tmp = new TempDir();
        var store = new LayerStore(tmp.Sub("layers"));
        var tar = new TarBuilder().CharDevice("dev/null", 1, 3).Build();
        store.Unpack(new MemoryStream(tar), Digest.Of(tar), new LayerUnpackOptions { CreateDevices = true });
        var st = Stat(Path.Combine(store.LayerPath(Digest.Of(tar)), "dev/null"));
        Assert.Equal((0x2000u, (1UL << 8) | 3), (st.Mode & 0xf000, st.Rdev));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    [InlineData("none")]
    public void Compressed_layers_stream_and_verify_the_diff_id(string compression)
    {
        using var tmp = new TempDir();
        var store = new LayerStore(tmp.Sub("layers"));
        var tar = RichLayer();
        var blob = compression switch { "gzip" => TarBuilder.Gzip(tar), "zstd" => TarBuilder.Zstd(tar), _ => tar };
        var result = store.Unpack(new MemoryStream(blob), Digest.Of(tar));
        Assert.NotNull(result);
        Assert.True(File.Exists(Path.Combine(store.LayerPath(Digest.Of(tar)), "bin/tool")));
    }

    [Fact]
    public void Long_names_and_later_entries_replace_earlier_ones()
    {
        using var tmp = new TempDir();
        var store = new LayerStore(tmp.Sub("layers"));
        var longName = string.Join('/', Enumerable.Range(0, 20).Select(i => new string((char)('a' + i), 30))) + "/file";
        var tar = new TarBuilder().File(longName, "long").File("x", "first").File("x", "second").Symlink("l", "a").Symlink("l", "b").Build();
        store.Unpack(new MemoryStream(tar), Digest.Of(tar));
        var root = store.LayerPath(Digest.Of(tar));
        Assert.Equal("long", File.ReadAllText(Path.Combine(root, longName)));
        Assert.Equal("second", File.ReadAllText(Path.Combine(root, "x")));
        Assert.Equal("b", new FileInfo(Path.Combine(root, "l")).LinkTarget);
    }

    [Fact]
    public void Layer_of_gnu_tar_with_xattrs_and_hardlinks()
    {
        // A tar written by GNU tar itself (not by .NET's TarWriter): PAX xattrs, hard links, long names.
        using var tmp = new TempDir();
        var src = tmp.Sub("src");
        Directory.CreateDirectory(Path.Combine(src, "usr/bin"));
        File.Copy("/bin/busybox", Path.Combine(src, "usr/bin/busybox"));
        File.CreateSymbolicLink(Path.Combine(src, "usr/bin/sh"), "busybox");
        Run("ln", Path.Combine(src, "usr/bin/busybox"), Path.Combine(src, "usr/bin/hardbox"));
        Assert.Equal(0, lsetxattr(Path.Combine(src, "usr/bin/busybox"), "user.k", "v"u8.ToArray(), 1, 0));
        var tarPath = tmp.File("l.tar");
        Run("tar", "--xattrs", "--xattrs-include=*", "--format=posix", "-C", src, "-cf", tarPath, ".");
        var bytes = File.ReadAllBytes(tarPath);
        var store = new LayerStore(tmp.Sub("layers"));
        store.Unpack(new MemoryStream(bytes), Digest.Of(bytes));
        var root = store.LayerPath(Digest.Of(bytes));
        Assert.Equal(File.ReadAllBytes("/bin/busybox"), File.ReadAllBytes(Path.Combine(root, "usr/bin/hardbox")));
        Assert.Equal(Stat(Path.Combine(root, "usr/bin/busybox")).Ino, Stat(Path.Combine(root, "usr/bin/hardbox")).Ino);
        Assert.Equal("v", Xattr(Path.Combine(root, "usr/bin/busybox"), "user.k"));
    }

    [Fact]
    public void Throughput_of_a_large_gzip_layer()
    {
        using var tmp = new TempDir();
        // ~2000 files, ~120 MB: a Debian-sized layer.
        var b = new TarBuilder();
        var rnd = new Random(42);
        var total = 0L;
        for (var i = 0; i < 2000; i++)
        {
            var data = new byte[i % 50 == 0 ? 2_000_000 : 8_000 + rnd.Next(20_000)];
            rnd.NextBytes(data.AsSpan(0, data.Length / 2)); // half random, half zeros: compresses like binaries
            b.File($"usr/lib/d{i % 40}/f{i}", data);
            total += data.Length;
        }
        var tar = b.Build();
        var gz = TarBuilder.Gzip(tar);
        var store = new LayerStore(tmp.Sub("layers"));
        var sw = Stopwatch.StartNew();
        using (var dec = new System.IO.Compression.GZipStream(new MemoryStream(gz), System.IO.Compression.CompressionMode.Decompress))
            Digest.Of(dec);
        output.WriteLine($"gunzip+sha256 alone: {sw.ElapsedMilliseconds} ms");
        sw.Restart();
        LayerUnpacker.Unpack(new MemoryStream(tar), tmp.Sub("plain"));
        output.WriteLine($"plain tar unpack alone: {sw.ElapsedMilliseconds} ms");
        sw.Restart();
        store.Unpack(new MemoryStream(gz), Digest.Of(tar));
        sw.Stop();
        output.WriteLine($"unpacked {total / 1e6:F0} MB in 2000 files (gzip {gz.Length / 1e6:F0} MB) in {sw.ElapsedMilliseconds} ms = {total / 1e6 / sw.Elapsed.TotalSeconds:F0} MB/s");
        var sw2 = Stopwatch.StartNew();
        var dir = tmp.Sub("tar-x");
        var tarFile = tmp.File("l.tar.gz");
        File.WriteAllBytes(tarFile, gz);
        sw2.Restart();
        Run("tar", "-xzf", tarFile, "-C", dir);
        output.WriteLine($"GNU tar -xzf of the same layer: {sw2.ElapsedMilliseconds} ms");
    }

    internal static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var outp = p.StandardOutput.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new Exception($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {err.Result}{outp.Result}");
    }
}

using System.Diagnostics;
using System.Text;
using Kapsel.Images.Archive;
using Kapsel.Images.Content;
using Kapsel.Images.Layers;

namespace Kapsel.Images.Tests;

/// <summary>The tar writer that turns built-in rootfs dirs into layers: faithful and byte-for-byte deterministic.</summary>
public class RootfsTarWriterTests
{
    private static string Sh(string script)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-ec", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{script}: {err.Result}");
        return output;
    }

    /// <summary>A tree with every kind of entry a rootfs has.</summary>
    private static string MakeTree(TempDir tmp)
    {
        var root = tmp.Sub("rootfs");
        var longDir = string.Join("/", Enumerable.Repeat("a-rather-long-directory-name", 5));
        Sh($"""
            cd {root}
            mkdir -p bin etc tmp dev {longDir} zdir/sub
            printf 'hello\n' > etc/hostname
            printf '#!/bin/sh\n' > bin/tool && chown 1000:1001 bin/tool && chmod 4755 bin/tool
            ln bin/tool bin/tool-hardlink
            ln -s /bin/busybox bin/sh
            ln -s ../etc/hostname zdir/relative-link
            chmod 1777 tmp
            mkfifo dev/fifo
            mknod dev/null c 1 3
            mknod dev/loop9 b 7 9
            printf 'deep\n' > {longDir}/file-with-a-long-name-too.txt
            setfattr -n user.kapsel -v yes etc/hostname
            setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= bin/tool
            dd if=/dev/urandom of=zdir/sub/random.bin bs=1k count=70 2>/dev/null
            """);
        return root;
    }

    private static byte[] TarOf(string root)
    {
        using var ms = new MemoryStream();
        RootfsTarWriter.Write(root, ms);
        return ms.ToArray();
    }

    [Fact]
    public void Same_tree_gives_the_same_bytes()
    {
        using var tmp = new TempDir();
        var root = MakeTree(tmp);
        var first = TarOf(root);
        var second = TarOf(root);
        Assert.Equal(Digest.Of(first), Digest.Of(second));
        Assert.Equal(0, first.Length % 512);
    }

    [Fact]
    public void Entries_are_sorted_and_keep_modes_owners_links_devices_and_xattrs()
    {
        using var tmp = new TempDir();
        var root = MakeTree(tmp);
        var reader = new TarStreamReader(new MemoryStream(TarOf(root)));
        var entries = new List<TarEntry>();
        while (reader.Next() is { } e) entries.Add(e);

        var names = entries.Select(e => e.Name).ToList();
        Assert.Equal("a-rather-long-directory-name/", names[0]);
        Assert.Equal(names.Where(n => !n.Contains('/') || n.IndexOf('/') == n.Length - 1).ToList(),
            names.Where(n => !n.Contains('/') || n.IndexOf('/') == n.Length - 1).Order(StringComparer.Ordinal).ToList());
        Assert.True(names.IndexOf("bin/") < names.IndexOf("bin/tool") && names.IndexOf("etc/") < names.IndexOf("etc/hostname"));
        Assert.DoesNotContain(names, n => n is "" or "./" or "/");

        var tool = entries.Single(e => e.Name == "bin/tool");
        Assert.Equal(TarEntryKind.File, tool.Kind);
        Assert.Equal(0x9ed, (int)tool.Mode & 0xfff); // 04755
        Assert.Equal((1000, 1001), (tool.Uid, tool.Gid));
        Assert.NotNull(tool.Xattrs);
        Assert.True(tool.Xattrs!.ContainsKey("security.capability"));
        var hard = entries.Single(e => e.Name == "bin/tool-hardlink");
        Assert.Equal(TarEntryKind.HardLink, hard.Kind);
        Assert.Equal("bin/tool", hard.LinkName);
        Assert.Equal(("/bin/busybox", TarEntryKind.Symlink), (entries.Single(e => e.Name == "bin/sh").LinkName, entries.Single(e => e.Name == "bin/sh").Kind));
        Assert.Equal(0x3ff, (int)entries.Single(e => e.Name == "tmp/").Mode & 0xfff);
        var nul = entries.Single(e => e.Name == "dev/null");
        Assert.Equal((TarEntryKind.CharDevice, 1u, 3u), (nul.Kind, nul.DevMajor, nul.DevMinor));
        var loop = entries.Single(e => e.Name == "dev/loop9");
        Assert.Equal((TarEntryKind.BlockDevice, 7u, 9u), (loop.Kind, loop.DevMajor, loop.DevMinor));
        Assert.Equal(TarEntryKind.Fifo, entries.Single(e => e.Name == "dev/fifo").Kind);
        Assert.Equal("yes", Encoding.UTF8.GetString(entries.Single(e => e.Name == "etc/hostname").Xattrs!["user.kapsel"]));
        Assert.Contains(entries, e => e.Name.EndsWith("/file-with-a-long-name-too.txt") && e.Name.Length > 100);
    }

    [Fact]
    public void Gnu_tar_reads_it_and_the_unpacker_restores_the_tree()
    {
        using var tmp = new TempDir();
        var root = MakeTree(tmp);
        var tarPath = tmp.File("layer.tar");
        File.WriteAllBytes(tarPath, TarOf(root));
        var listing = Sh($"tar -tvf {tarPath}");
        Assert.Contains("bin/tool link to bin/tool", listing.Replace("-hardlink", ""));

        var back = tmp.Sub("back");
        using (var f = File.OpenRead(tarPath))
            LayerUnpacker.Unpack(f, back, new LayerUnpackOptions { CreateDevices = true, OverlayWhiteouts = false });
        Assert.Equal(File.ReadAllBytes(Path.Combine(root, "zdir/sub/random.bin")), File.ReadAllBytes(Path.Combine(back, "zdir/sub/random.bin")));
        Assert.Equal(Sh($"cd {root} && stat -c '%n %f %u %g %h %t %T' $(find . | sort)"), Sh($"cd {back} && stat -c '%n %f %u %g %h %t %T' $(find . | sort)").Replace(back, root));
        Assert.Equal("user.kapsel=\"yes\"", Sh($"getfattr --absolute-names -n user.kapsel {back}/etc/hostname").Split('\n')[1]);
        // Unpacked again, the tree tars to the same bytes except mtimes of what unpacking created now: same diff_id once mtimes match.
        Sh($"cd {root} && find . -exec touch -h -d @1000000000 {{}} + && cd {back} && find . -exec touch -h -d @1000000000 {{}} +");
        Assert.Equal(Digest.Of(TarOf(root)), Digest.Of(TarOf(back)));
    }

    [Fact]
    public void Mtimes_can_be_clamped()
    {
        using var tmp = new TempDir();
        var root = tmp.Sub("r");
        File.WriteAllText(Path.Combine(root, "f"), "x");
        using var ms = new MemoryStream();
        RootfsTarWriter.Write(root, ms, new RootfsTarOptions { ClampMtime = DateTimeOffset.FromUnixTimeSeconds(86400) });
        ms.Position = 0;
        var e = new TarStreamReader(ms).Next()!;
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(86400), e.ModTime);
    }

    [Theory]
    [InlineData(new[] { "manifest.json", "abc/layer.tar", "abc.json" }, ArchiveKind.DockerArchive)]
    [InlineData(new[] { "oci-layout", "index.json", "blobs/sha256/abc" }, ArchiveKind.OciArchive)]
    [InlineData(new[] { "./oci-layout", "./index.json", "./manifest.json" }, ArchiveKind.DockerArchive)] // Docker 25+ writes both
    [InlineData(new[] { "./index.json", "./oci-layout" }, ArchiveKind.OciArchive)]
    public void Archive_format_is_detected_from_entry_names(string[] names, ArchiveKind expected) =>
        Assert.Equal(expected, ArchiveFormat.Detect(names));

    [Fact]
    public void Archive_without_either_marker_is_a_clear_error()
    {
        Assert.Contains("neither a docker-archive", Assert.Throws<ImageException>(() => ArchiveFormat.Detect(["etc/passwd", "bin/sh"], "x.tar")).Message);
        Assert.Contains("empty archive", Assert.Throws<ImageException>(() => ArchiveFormat.Detect([], "x.tar")).Message);
    }
}

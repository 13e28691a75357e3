using System.Text;
using Kapsel.Images.Content;
using Kapsel.Images.Layers;

namespace Kapsel.Images.Tests;

/// <summary>
/// Malicious layers: each must be refused with a one-line error naming the entry, leave no
/// layer directory (nor temp directory) behind, and write nothing outside the store.
/// </summary>
public sealed class HostileLayerTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private readonly string _canary;
    private readonly LayerStore _store;

    public HostileLayerTests()
    {
        // The store is nested a few levels down so that "../" escapes land in the canary dir.
        _canary = _tmp.Sub("canary");
        File.WriteAllText(Path.Combine(_canary, "passwd"), "canary");
        _store = new LayerStore(_tmp.Sub("store/layers"));
    }

    public void Dispose() => _tmp.Dispose();

    private string Refused(byte[] blob, Digest? diffId = null, string? expected = null, LayerUnpackOptions? options = null)
    {
        var id = diffId ?? Digest.Of(blob);
        var e = Assert.Throws<ImageException>(() => _store.Unpack(new MemoryStream(blob), id, options));
        Assert.DoesNotContain('\n', e.Message);
        if (expected is not null) Assert.True(e.Message.Contains(expected), $"message: {e.Message}");
        Assert.False(Directory.Exists(_store.LayerPath(id)), "the layer directory must not exist after a refusal");
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_store.Root), p => !Path.GetFileName(p).EndsWith(".lock"));
        Assert.Equal(["passwd"], Directory.GetFileSystemEntries(_canary).Select(Path.GetFileName));
        Assert.Equal("canary", File.ReadAllText(Path.Combine(_canary, "passwd")));
        Assert.Equal(["canary", "store"], Directory.GetFileSystemEntries(_tmp.Path).Select(Path.GetFileName).Order());
        return e.Message;
    }

    [Fact]
    public void Dot_dot_traversal() =>
        Refused(new TarBuilder().File("ok", "1").File("../../../canary/evil", "x").Build(), expected: "refusing layer entry \"../../../canary/evil\": \"../../../canary/evil\" has a '..' component");

    [Fact]
    public void Dot_dot_in_the_middle() =>
        Refused(new TarBuilder().File("a/../../x", "x").Build(), expected: "'..' component");

    [Fact]
    public void Absolute_path() =>
        Refused(new TarBuilder().File(_canary + "/evil", "x").Build(), expected: "absolute path");

    [Fact]
    public void Write_through_a_symlink_to_an_absolute_dir() =>
        Refused(new TarBuilder().Symlink("evil", _canary).File("evil/passwd", "pwned").Build(), expected: "parent \"evil\" is a symlink");

    [Fact]
    public void Write_through_a_relative_symlink_escaping() =>
        Refused(new TarBuilder().Symlink("evil", "../../../canary").File("evil/new", "pwned").Build(), expected: "is a symlink");

    [Fact]
    public void Write_through_a_nested_symlinked_parent() =>
        Refused(new TarBuilder().Dir("a").Symlink("a/b", _canary).File("a/b/c/d", "pwned").Build(), expected: "is a symlink");

    [Fact]
    public void Directory_through_a_symlink() =>
        Refused(new TarBuilder().Symlink("evil", _canary).Dir("evil/sub").Build(), expected: "is a symlink");

    [Fact]
    public void Hardlink_to_an_absolute_host_file() =>
        Refused(new TarBuilder().HardLink("pw", _canary + "/passwd").Build(), expected: "hard link to absolute path");

    [Fact]
    public void Hardlink_escaping_with_dot_dot() =>
        Refused(new TarBuilder().HardLink("pw", "../../canary/passwd").Build(), expected: "hard link target \"../../canary/passwd\" has a '..' component");

    [Fact]
    public void Hardlink_to_a_symlink_pointing_outside() =>
        Refused(new TarBuilder().Symlink("s", _canary + "/passwd").HardLink("h", "s").File("h", "overwrite").Build(), expected: "is a symlink");

    [Fact]
    public void Hardlink_through_a_symlinked_parent() =>
        Refused(new TarBuilder().Symlink("d", _canary).HardLink("h", "d/passwd").Build(), expected: "is not inside this layer");

    [Fact]
    public void Whiteout_through_a_symlinked_parent() =>
        Refused(new TarBuilder().Symlink("d", _canary).File("d/.wh.passwd", "").Build(), expected: "is a symlink");

    [Fact]
    public void Huge_size_header_on_a_short_stream()
    {
        // A header announcing 2 GiB followed by 100 bytes and EOF.
        var tar = TarBuilder.RawHeader("big", '0', 2L << 30).Concat(new byte[100]).ToArray();
        Refused(tar, expected: "entry \"big\": stream ends");
    }

    [Fact]
    public void Huge_pax_header_is_refused_before_allocation()
    {
        var tar = TarBuilder.RawHeader("PaxHeaders/x", 'x', 1L << 33).Concat(new byte[512]).ToArray();
        Refused(tar, expected: "PAX header of 8589934592 bytes exceeds");
    }

    [Fact]
    public void Huge_gnu_long_name()
    {
        var tar = TarBuilder.RawHeader("././@LongLink", 'L', 100_000).Concat(new byte[100_352]).ToArray();
        Refused(tar, expected: "GNU long name of 100000 bytes exceeds");
    }

    [Fact]
    public void Overlong_name_component() =>
        Refused(new TarBuilder().File(new string('n', 300), "x").Build(), expected: "longer than 255 bytes");

    [Fact]
    public void Bad_header_checksum()
    {
        var tar = new TarBuilder().File("a", "1").File("b", "2").Build();
        // Corrupt the second file's header name without fixing its checksum. (PAX: x header + header per entry.)
        var second = FindHeader(tar, "b");
        tar[second] = (byte)'c';
        Refused(tar, expected: "header checksum mismatch");
    }

    [Fact]
    public void Garbage_is_not_a_tar() =>
        Refused(Encoding.UTF8.GetBytes(new string('z', 2000)), expected: "checksum mismatch");

    [Fact]
    public void Truncated_gzip()
    {
        var tar = new TarBuilder().File("a", new byte[200_000]).File("b", RandomBytes(300_000)).Build();
        var gz = TarBuilder.Gzip(tar);
        Refused(gz[..(gz.Length / 2)], Digest.Of(tar));
    }

    [Fact]
    public void Truncated_plain_tar_inside_a_header()
    {
        var tar = new TarBuilder().File("a", "1").File("b", "2").Build();
        Refused(tar[..(FindHeader(tar, "b") + 100)], Digest.Of(tar), "truncated");
    }

    [Fact]
    public void Wrong_diff_id()
    {
        var tar = new TarBuilder().File("a", "1").Build();
        Refused(tar, Digest.Of("something else"u8), "digest mismatch");
    }

    [Fact]
    public void Gnu_sparse_and_unknown_types_are_refused()
    {
        var tar = TarBuilder.RawHeader("sparse", 'S', 0).Concat(new byte[1024]).ToArray();
        Refused(tar, expected: "unsupported tar entry type 'S'");
    }

    [Fact]
    public void Devices_are_skipped_not_created_by_default()
    {
        var tar = new TarBuilder().CharDevice("mem", 1, 1).Build();
        var result = _store.Unpack(new MemoryStream(tar), Digest.Of(tar));
        Assert.Equal(1, result!.SkippedDevices);
        Assert.Empty(Directory.GetFileSystemEntries(_store.LayerPath(Digest.Of(tar))));
    }

    private static int FindHeader(byte[] tar, string name)
    {
        for (var off = 0; off + 512 <= tar.Length; off += 512)
            if (tar[off + 156] == (byte)'0' && Encoding.ASCII.GetString(tar, off, name.Length) == name && tar[off + name.Length] == 0) return off;
        throw new InvalidOperationException($"no header {name}");
    }

    private static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        Random.Shared.NextBytes(b);
        return b;
    }

    /// <summary>A gzip'd tar holding one file of <paramref name="size"/> zeros, made by streaming (a few hundred KB).</summary>
    private static byte[] GzipBomb(long size)
    {
        var output = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gz.Write(TarBuilder.RawHeader("zeros", '0', size));
            var zeros = new byte[1 << 20];
            for (var left = size; left > 0; left -= zeros.Length) gz.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            gz.Write(new byte[(512 - size % 512) % 512 + 1024]);
        }
        return output.ToArray();
    }

    [Fact]
    public void Gzip_bomb_is_refused_while_streaming_by_size_and_by_ratio()
    {
        var bomb = GzipBomb(256L << 20);
        Assert.True(bomb.Length < 2 << 20, $"the bomb is {bomb.Length} bytes");
        var diffId = Digest.Of(new byte[1]); // never reached: the limits stop it first
        Refused(bomb, diffId, "KAPSEL_DECOMPRESS_MAX_BYTES",
            new LayerUnpackOptions { Decompression = new DecompressionLimits(32L << 20, 1000, 1L << 30) });
        Refused(bomb, diffId, "expands more than 50:1",
            new LayerUnpackOptions { Decompression = new DecompressionLimits(1L << 40, 50, 8L << 20) });
    }

    [Fact]
    public void Default_limits_let_ordinary_compressed_layers_through()
    {
        var tar = new TarBuilder().Dir("etc").File("etc/data", new string('x', 4 << 20)).Build();
        var blob = TarBuilder.Gzip(tar);
        Assert.NotNull(_store.Unpack(new MemoryStream(blob), Digest.Of(tar)));
    }
}

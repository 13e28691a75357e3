using System.Text.Json.Nodes;
using Kapsel.Images.Tests;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>`image import/inspect/tag/history/prune` and bad input, through the real binary with a private root.</summary>
public sealed class ImageCliStoreTests : IDisposable
{
    private readonly ImageCliFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void ConcurrentFirstUsesOfABuiltInImageWaitForOneBuild()
    {
        // Eight processes need the built-in busybox image at once: one builds it, the others wait
        // for its lock (a FileStream-opened lock file made them fail "being used by another process").
        var results = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8)
            .Select(_ => _f.Kapsel.Run("run", "--rm", "--level", "chroot", "busybox", "--", "/bin/true")).ToList();
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Single(JsonNode.Parse(_f.Must("images", "--format", "json").Stdout)!.AsArray());
    }

    [Fact]
    public void ImportInspectTagHistoryAndRun()
    {
        var id = _f.Must("image", "import", _f.BusyboxTar, "localhost/imp/bb:1").Stdout.Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);
        var run = _f.Must("run", "--rm", "localhost/imp/bb:1", "--", "/bin/sh", "-c", "echo imported");
        Assert.Equal("imported\n", run.Stdout);

        var info = _f.Inspect("localhost/imp/bb:1");
        Assert.Equal(id, (string?)info["id"]);
        Assert.Equal("linux/amd64", (string?)info["platform"]);
        Assert.Single(info["layers"]!.AsArray());
        Assert.True((long)info["size"]! > 100_000);
        Assert.Contains("localhost/imp/bb:1", info["repoTags"]!.AsArray().Select(t => (string?)t));

        _f.Must("image", "tag", "localhost/imp/bb:1", "localhost/imp/bb:2");
        var tagged = _f.Inspect("localhost/imp/bb:2");
        Assert.Equal(id, (string?)tagged["id"]);
        Assert.Equal(2, tagged["repoTags"]!.AsArray().Count);
        Assert.Equal(id, (string?)_f.Inspect(id[7..19])["id"]); // by short id too

        Assert.Contains("kapsel image import", _f.Must("image", "history", "localhost/imp/bb:1").Stdout);
        var history = JsonNode.Parse(_f.Must("image", "history", "--format", "json", "localhost/imp/bb:1").Stdout)!.AsArray();
        Assert.Equal(id[7..19], (string?)history[0]!["id"]);

        // A built-in image gets a registry-style name (converted to an OCI image on the way) and runs under it.
        _f.Must("tag", "busybox", "localhost/copy/bb:1");
        Assert.Equal("copied\n", _f.Must("run", "--rm", "localhost/copy/bb:1", "--", "/bin/sh", "-c", "echo copied").Stdout);
        var builtin = _f.Inspect("busybox");
        Assert.NotNull((string?)builtin["rootfs"]);
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "tag", "localhost/imp/bb:1", "busybox"), "built-in");

        _f.Must("rmi", "localhost/imp/bb:2");
        Assert.Single(_f.Inspect("localhost/imp/bb:1")["repoTags"]!.AsArray());
        _f.Must("rmi", id[7..19]); // by id: every name goes
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "inspect", "localhost/imp/bb:1"), "not found", exitCode: 1);
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("rmi", "localhost/imp/bb:1"), "not found", exitCode: 1);
    }

    [Fact]
    public void PruneFreesWhatNoTagUsesAndKeepsTheRest()
    {
        var other = Path.Combine(_f.Work, "other.tar");
        File.WriteAllBytes(other, new TarBuilder().Dir("etc").File("etc/only-in-b", "b\n").Build());
        var keepId = _f.Must("image", "import", _f.BusyboxTar, "localhost/keep:1").Stdout.Trim();
        _f.Must("image", "import", other, "localhost/drop:1");
        var keepLayer = (string)_f.Inspect("localhost/keep:1")["layers"]![0]!["diffId"]!;
        var dropLayer = (string)_f.Inspect("localhost/drop:1")["layers"]![0]!["diffId"]!;
        Assert.True(Directory.Exists(Path.Combine(_f.LayersDir, dropLayer[7..])));
        var leftover = Path.Combine(_f.BlobsDir, ".tmp-99999999-deadbeef"); // a crashed writer's temp file (no such pid)
        File.WriteAllText(leftover, "partial");

        _f.Must("image", "rm", "localhost/drop:1");
        var report = JsonNode.Parse(_f.Must("image", "prune", "--format", "json").Stdout)!.AsObject();
        Assert.Contains(dropLayer, report["layers"]!.AsArray().Select(l => (string?)l!["name"]));
        Assert.DoesNotContain(keepLayer, report["layers"]!.AsArray().Select(l => (string?)l!["name"]));
        Assert.Equal(3, report["blobs"]!.AsArray().Count); // manifest, config, layer of the dropped image
        Assert.True((long)report["reclaimed"]! > 0);
        Assert.False(Directory.Exists(Path.Combine(_f.LayersDir, dropLayer[7..])));
        Assert.True(Directory.Exists(Path.Combine(_f.LayersDir, keepLayer[7..])));
        Assert.False(File.Exists(leftover));

        Assert.Equal(keepId, (string?)_f.Inspect("localhost/keep:1")["id"]);
        Assert.Equal("kept\n", _f.Must("run", "--rm", "localhost/keep:1", "--", "/bin/sh", "-c", "echo kept").Stdout);
        Assert.Contains("Total reclaimed space: 0B", _f.Must("image", "prune").Stdout);
    }

    [Fact]
    public void BadInputIsOneLineExit125AndLeavesNothingInTheStore()
    {
        _f.Must("image", "import", _f.BusyboxTar, "localhost/base:1");
        var before = _f.StoreEntries();

        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "load", "-i", Path.Combine(_f.Work, "missing.tar")), "no such file");
        var garbage = Path.Combine(_f.Work, "garbage.tar");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7919 % 251)).ToArray());
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "load", "-i", garbage));
        ImageCliFixture.AssertOneLineFailure(_f.RunWithStdinFile(garbage, "load"));
        var plain = Path.Combine(_f.Work, "plain.tar");
        File.WriteAllBytes(plain, new TarBuilder().File("etc/passwd", "x\n").Build());
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("load", "-i", plain), "neither a docker-archive");

        // A good archive cut in half: its blobs must not end up in the store.
        var saved = Path.Combine(_f.Work, "saved.tar");
        _f.Must("save", "-o", saved, "localhost/base:1");
        _f.Must("image", "rm", "localhost/base:1");
        _f.Must("image", "prune");
        before = _f.StoreEntries();
        var half = Path.Combine(_f.Work, "half.tar");
        File.WriteAllBytes(half, File.ReadAllBytes(saved)[..(int)(new FileInfo(saved).Length / 2)]);
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "load", "-i", half));
        Assert.Equal(before, _f.StoreEntries());

        // Hostile rootfs tarballs are refused by import, nothing written outside or kept.
        var escape = Path.Combine(_f.Work, "escape.tar");
        File.WriteAllBytes(escape, new TarBuilder().File("../../escaped", "x\n").Build());
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "import", escape, "localhost/evil:1"));
        Assert.False(File.Exists(Path.Combine(_f.Images, "escaped")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_f.Images)!, "escaped")));
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "import", garbage, "localhost/evil:2"));
        Assert.Equal(before, _f.StoreEntries());

        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "inspect", "localhost/nope:1"), "not found", exitCode: 1);
        var outFile = Path.Combine(_f.Work, "nope.tar");
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "save", "-o", outFile, "localhost/nope:1"), "not found");
        Assert.False(File.Exists(outFile));
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("push", "localhost/nope:1", "127.0.0.1:1/x:1"), "not found");
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "export", "localhost/nope:1", Path.Combine(_f.Work, "x")), "not found");
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "save", "--format", "zip", "-o", outFile, "busybox"), "unknown archive format");
        Assert.Equal(before, _f.StoreEntries());
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_f.Work), e => Path.GetFileName(e).StartsWith('.'));
    }

    [Fact]
    public void EveryImageVerbHasHelp()
    {
        foreach (var verb in new[] { "ls", "pull", "push", "inspect", "history", "tag", "rm", "prune", "save", "load", "import", "export" })
        {
            var r = _f.Must("image", verb, "--help");
            Assert.StartsWith($"Usage: kapsel image {verb}", r.Stdout);
        }
        foreach (var top in new[] { "push", "tag", "rmi", "save", "load", "login", "logout" })
            Assert.StartsWith($"Usage: kapsel {top}", _f.Must(top, "--help").Stdout);
        Assert.Contains("prune", _f.Must("image", "--help").Stdout);
    }
}

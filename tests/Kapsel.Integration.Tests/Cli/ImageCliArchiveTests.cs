using System.Formats.Tar;
using System.Text.Json.Nodes;
using Kapsel.Integration.Tests.Oci;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// save/load/export round trips with the real peers: Podman (private root, kapsel-runc as its
/// runtime), skopeo (oci: layouts and archives) and Debian's oci-image-tool (each exported blob).
/// </summary>
public sealed class ImageCliArchiveTests : IDisposable
{
    private readonly ImageCliFixture _f = new();

    public void Dispose() => _f.Dispose();

    /// <summary>The config file name (= image id) a docker-archive's manifest.json names for its first image.</summary>
    private static string ConfigIdOf(string dockerArchive)
    {
        using var tar = new TarReader(File.OpenRead(dockerArchive));
        while (tar.GetNextEntry() is { } e)
        {
            if (e.Name.TrimStart('.', '/') != "manifest.json") continue;
            var manifest = JsonNode.Parse(e.DataStream!)!.AsArray()[0]!;
            return "sha256:" + ((string)manifest["Config"]!).Replace(".json", "").Split('/')[^1];
        }
        throw new InvalidOperationException("no manifest.json");
    }

    [NeedsPodmanFact]
    public void KapselSaveLoadsInPodmanAndRunsThere()
    {
        using var podman = new PodmanHarness();
        var archive = Path.Combine(_f.Work, "busybox.tar");
        _f.Must("image", "save", "-o", archive, "busybox"); // a built-in image: its rootfs becomes a layer on the fly
        var load = podman.Podman("load", "-i", archive);
        Assert.True(load.ExitCode == 0, load.ToString());
        Assert.Contains("Loaded image: localhost/busybox:latest", load.Stdout + load.Stderr); // podman's name for a short docker-archive tag
        var id = ConfigIdOf(archive);
        Assert.Equal(id, podman.Podman("images", "--no-trunc", "--format", "{{.ID}}", "localhost/busybox:latest").Stdout.Trim());
        var run = podman.RunContainer("--rm", "localhost/busybox:latest", "sh", "-c", "echo from kapsel; ls /bin/busybox");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("from kapsel\n/bin/busybox\n", run.Stdout);

        // Saved twice: the same layer and config (deterministic tar), so the same image id.
        var again = Path.Combine(_f.Work, "again.tar");
        _f.Must("save", "-o", again, "busybox");
        Assert.Equal(id, ConfigIdOf(again));

        // oci-archive: podman loads it too, under the name in index.json.
        var oci = Path.Combine(_f.Work, "busybox.oci.tar");
        _f.Must("image", "save", "--format", "oci-archive", "-o", oci, "busybox");
        podman.Podman("rmi", "--all", "--force");
        load = podman.Podman("load", "-i", oci);
        Assert.True(load.ExitCode == 0, load.ToString());
        Assert.Equal(id, podman.Podman("images", "--no-trunc", "--format", "{{.ID}}", "docker.io/library/busybox:latest").Stdout.Trim());
    }

    [NeedsPodmanFact]
    public void PodmanSaveLoadsInKapselAndRuns()
    {
        using var podman = new PodmanHarness();
        var podmanId = podman.Podman("images", "--no-trunc", "--format", "{{.ID}}", PodmanHarness.Image).Stdout.Trim();
        Assert.StartsWith("sha256:", podmanId);

        var docker = Path.Combine(_f.Work, "podman.tar");
        Assert.Equal(0, podman.Podman("save", "-o", docker, PodmanHarness.Image).ExitCode);
        var load = _f.Must("image", "load", "-i", docker);
        Assert.Contains("Loaded image: localhost/kapsel-busybox:latest", load.Stdout);
        Assert.Equal(podmanId, (string?)_f.Inspect("localhost/kapsel-busybox:latest")["id"]);
        var run = _f.Must("run", "--rm", "localhost/kapsel-busybox:latest", "--", "/bin/sh", "-c", "echo from podman");
        Assert.Equal("from podman\n", run.Stdout);

        // An oci-archive on stdin, under a new name.
        var oci = Path.Combine(_f.Work, "podman.oci.tar");
        Assert.Equal(0, podman.Podman("tag", PodmanHarness.Image, "localhost/from-oci:2").ExitCode);
        Assert.Equal(0, podman.Podman("save", "--format", "oci-archive", "-o", oci, "localhost/from-oci:2").ExitCode);
        var fromStdin = _f.RunWithStdinFile(oci, "load");
        Assert.True(fromStdin.ExitCode == 0, fromStdin.ToString());
        Assert.Contains("Loaded image: localhost/from-oci:2", fromStdin.Stdout);
        Assert.Equal(podmanId, (string?)_f.Inspect("localhost/from-oci:2")["id"]);
        Assert.Equal("oci\n", _f.Must("run", "--rm", "localhost/from-oci:2", "--", "/bin/sh", "-c", "echo oci").Stdout);
    }

    [Fact]
    public void ExportedLayoutPassesOciImageToolAndSkopeo()
    {
        var dir = Path.Combine(_f.Work, "layout");
        _f.Must("image", "export", "busybox", dir);
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "index.json")))!;
        var entry = index["manifests"]!.AsArray().Single()!;
        Assert.Equal("latest", (string?)entry["annotations"]!["org.opencontainers.image.ref.name"]);
        var manifestDigest = (string)entry["digest"]!;
        string Blob(string digest) => Path.Combine(dir, "blobs/sha256", digest[7..]);

        ImageCliFixture.Tool("oci-image-tool", "validate", "--type", "imageIndex", Path.Combine(dir, "index.json"));
        ImageCliFixture.Tool("oci-image-tool", "validate", "--type", "manifest", Blob(manifestDigest));
        var manifest = JsonNode.Parse(File.ReadAllText(Blob(manifestDigest)))!;
        ImageCliFixture.Tool("oci-image-tool", "validate", "--type", "config", Blob((string)manifest["config"]!["digest"]!));
        foreach (var layer in manifest["layers"]!.AsArray())
            Assert.Equal((long)layer!["size"]!, new FileInfo(Blob((string)layer["digest"]!)).Length);

        var inspect = JsonNode.Parse(ImageCliFixture.Tool("skopeo", "inspect", $"oci:{dir}").Stdout)!;
        Assert.Equal(manifestDigest, (string?)inspect["Digest"]);
        var archive = Path.Combine(_f.Work, "skopeo.oci.tar");
        ImageCliFixture.Tool("skopeo", "copy", "--quiet", $"oci:{dir}", $"oci-archive:{archive}:localhost/via-skopeo:1");
        Assert.Contains("Loaded image: localhost/via-skopeo:1", _f.Must("image", "load", "-i", archive).Stdout);
        Assert.Equal("via skopeo\n", _f.Must("run", "--rm", "localhost/via-skopeo:1", "--", "/bin/sh", "-c", "echo via skopeo").Stdout);

        // Exporting again gives identical blobs; an existing non-empty DIR is refused.
        var dir2 = Path.Combine(_f.Work, "layout2");
        _f.Must("image", "export", "busybox", dir2);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "index.json")), File.ReadAllText(Path.Combine(dir2, "index.json")));
        ImageCliFixture.AssertOneLineFailure(_f.Kapsel.Run("image", "export", "busybox", dir), "not empty");
    }
}

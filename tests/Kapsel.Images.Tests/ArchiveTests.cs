using System.Diagnostics;
using Kapsel.Images.Archive;
using Kapsel.Images.Layout;
using Kapsel.Images.References;

namespace Kapsel.Images.Tests;

public class ArchiveTests
{
    private static string Capture(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {err.Result}{output}");
        return output;
    }

    [Fact]
    public void Exported_layout_validates_with_oci_image_tool_and_skopeo()
    {
        using var tmp = new TempDir();
        var layout = OciLayout.Open(tmp.Sub("layout"));
        var (manifest, _) = TestImages.Busybox(layout);
        var m = OciJson.ParseManifest(layout.Blobs.ReadAllBytes(manifest.Digest));
        Capture("oci-image-tool", "validate", "--type", "manifest", layout.Blobs.BlobPath(manifest.Digest));
        Capture("oci-image-tool", "validate", "--type", "config", layout.Blobs.BlobPath(m.Config.Digest));
        Capture("oci-image-tool", "validate", "--type", "imageIndex", Path.Combine(layout.Root, "index.json"));
        var inspect = Capture("skopeo", "inspect", $"oci:{layout.Root}:busybox");
        Assert.Contains(manifest.DigestText, inspect);
    }

    [Fact]
    public void Oci_archive_round_trip_with_skopeo()
    {
        using var tmp = new TempDir();
        var layout = OciLayout.Open(tmp.Sub("layout"));
        var (manifest, _) = TestImages.Busybox(layout);
        var archive = tmp.File("img.oci.tar");
        using (var f = File.Create(archive)) OciArchive.Write(layout, ["busybox"], f);
        // skopeo reads ours and writes its own; we read that back: same manifest digest.
        Capture("skopeo", "copy", "--quiet", $"oci-archive:{archive}:busybox", $"oci-archive:{tmp.File("skopeo.oci.tar")}:again");
        var back = OciLayout.Open(tmp.Sub("back"));
        using (var f = File.OpenRead(tmp.File("skopeo.oci.tar"))) OciArchive.Read(f, back);
        Assert.Equal(manifest.DigestText, back.Find("again")!.DigestText);
    }

    [Fact]
    public void Docker_archive_round_trip_with_skopeo()
    {
        using var tmp = new TempDir();
        var layout = OciLayout.Open(tmp.Sub("layout"));
        var (manifest, diffId) = TestImages.Busybox(layout);
        var archive = tmp.File("img.docker.tar");
        var name = ImageName.Parse("localhost/kapsel/busybox:1");
        using (var f = File.Create(archive)) DockerArchive.Write(layout, manifest, [name], f);
        var inspect = Capture("skopeo", "inspect", $"docker-archive:{archive}");
        Assert.Contains(diffId.ToString(), inspect);
        // skopeo turns it into a docker-archive of its own, which we load: same config and layers.
        Capture("skopeo", "copy", "--quiet", $"docker-archive:{archive}", $"docker-archive:{tmp.File("skopeo.tar")}:localhost/again:2");
        var back = OciLayout.Open(tmp.Sub("back"));
        var loaded = Assert.Single(DockerArchive.Read(tmp.File("skopeo.tar"), back));
        var m = OciJson.ParseManifest(back.Blobs.ReadAllBytes(loaded.Digest));
        var original = OciJson.ParseManifest(layout.Blobs.ReadAllBytes(manifest.Digest));
        Assert.Equal(original.Config.DigestText, m.Config.DigestText);
        Assert.Equal(diffId.ToString(), Assert.Single(m.Layers).DigestText);
        Assert.NotNull(back.Find("localhost/again:2"));
    }
}

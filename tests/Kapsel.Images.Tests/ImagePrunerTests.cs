using Kapsel.Images.Layout;

namespace Kapsel.Images.Tests;

public class ImagePrunerTests
{
    [Fact]
    public async Task Prune_frees_what_no_tag_reaches_and_waits_for_content_being_added()
    {
        using var tmp = new TempDir();
        var store = new ImageStore(tmp.Sub("images"));
        var layout = store.Oci.Layout;
        var (keep, keepDiff) = TestImages.Busybox(layout, "keep");
        var (drop, dropDiff) = TestImages.Busybox(layout, "drop", extraLayerBytes: 4096);
        var keepManifest = OciJson.ParseManifest(layout.Blobs.ReadAllBytes(keep.Digest));
        var dropManifest = OciJson.ParseManifest(layout.Blobs.ReadAllBytes(drop.Digest));
        UnpackLayer(layout, keepManifest, keepDiff, store);
        UnpackLayer(layout, dropManifest, dropDiff, store);
        Assert.True(layout.Untag("drop"));

        // Another kapsel holds the lock shared (a pull, load or import in progress): prune waits.
        var shared = ImageGcLock.Shared(store.Directory);
        using var waiting = new ManualResetEventSlim();
        var prune = Task.Run(() => ImagePruner.Prune(store, waiting.Set));
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(10)));
        Assert.NotSame(prune, await Task.WhenAny(prune, Task.Delay(300)));
        shared.Dispose();
        var report = await prune;

        Assert.Contains(dropManifest.Layers[0].DigestText, report.Blobs.Select(b => b.Name));
        Assert.Contains(drop.DigestText, report.Blobs.Select(b => b.Name));
        Assert.Equal([dropDiff.ToString()], report.Layers.Select(l => l.Name));
        Assert.True(layout.Blobs.Exists(keepManifest.Layers[0].Digest));
        Assert.True(store.Oci.Layers.Exists(keepDiff));
        Assert.False(store.Oci.Layers.Exists(dropDiff));
        Assert.Empty(ImagePruner.Prune(store).Blobs);
    }

    private static void UnpackLayer(OciLayout layout, ImageManifest manifest, Content.Digest diffId, ImageStore store) =>
        store.Oci.Layers.Unpack(layout.Blobs, manifest.Layers[0], diffId);
}

using Kapsel.Images.Content;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Tests;

/// <summary>Images made in tests: a busybox image (one gzip layer of the host's busybox) in an OCI layout.</summary>
public static class TestImages
{
    public static (Descriptor Manifest, Digest DiffId) Busybox(OciLayout layout, string tag = "busybox", int extraLayerBytes = 0)
    {
        var tar = new TarBuilder().Dir("bin").File("bin/busybox", File.ReadAllBytes("/bin/busybox"), (UnixFileMode)0x1ed)
            .Symlink("bin/sh", "busybox").Symlink("bin/true", "busybox").Dir("etc").File("etc/hostname", "kapsel\n");
        if (extraLayerBytes > 0)
        {
            var junk = new byte[extraLayerBytes];
            new Random(7).NextBytes(junk);
            tar.File("junk.bin", junk);
        }
        var tarBytes = tar.Build();
        var gz = TarBuilder.Gzip(tarBytes);
        var diffId = Digest.Of(tarBytes);
        var layer = Descriptor.For(MediaTypes.OciLayerGzip, layout.Blobs.Put(gz), gz.Length);
        var config = new ImageConfig
        {
            Created = TarBuilder.Epoch,
            Config = new ContainerConfig
            {
                Cmd = ["sh"], Env = ["PATH=/bin"], WorkingDir = "/", Labels = new() { ["test"] = "yes" },
                ExposedPorts = new() { ["80/tcp"] = new EmptyObject() }, StopSignal = "SIGTERM",
            },
            RootFs = new RootFs { DiffIds = [diffId.ToString()] },
            History = [new HistoryEntry { Created = TarBuilder.Epoch, CreatedBy = "kapsel test" }],
        };
        var configBytes = OciJson.Serialize(config, OciJsonContext.Default.ImageConfig);
        var configDesc = layout.PutJson(configBytes, MediaTypes.OciConfig);
        var manifest = new ImageManifest { MediaType = MediaTypes.OciManifest, Config = configDesc, Layers = [layer] };
        var manifestDesc = layout.PutJson(OciJson.Serialize(manifest, OciJsonContext.Default.ImageManifest), MediaTypes.OciManifest);
        layout.Tag(tag, manifestDesc);
        return (manifestDesc, diffId);
    }
}

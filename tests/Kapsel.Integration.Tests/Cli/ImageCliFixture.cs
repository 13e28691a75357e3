using System.Text.Json.Nodes;
using Kapsel.Integration.Tests.Oci;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>Shared bits of the image CLI tests: a kapsel root, a busybox rootfs tarball, store snapshots.</summary>
public sealed class ImageCliFixture : IDisposable
{
    public KapselBinary Kapsel { get; } = new();
    public string Work { get; } = Directory.CreateTempSubdirectory("kapsel-it-img-").FullName;
    private BusyboxRootfs? _busybox;

    /// <summary>A tar of a busybox rootfs (the host's busybox-static), made once per test.</summary>
    public string BusyboxTar => (_busybox ??= new BusyboxRootfs()).Tar;

    public string Images => Path.Combine(Kapsel.Root, "images");
    public string BlobsDir => Path.Combine(Images, "oci/blobs/sha256");
    public string LayersDir => Path.Combine(Images, "layers");

    /// <summary>Blob files and layer dirs in the store (temp/lock names included, so leftovers show).</summary>
    public List<string> StoreEntries() =>
        (Directory.Exists(BlobsDir) ? Directory.GetFileSystemEntries(BlobsDir) : [])
        .Concat(Directory.Exists(LayersDir) ? Directory.GetFileSystemEntries(LayersDir).Where(e => !e.EndsWith(".lock")) : [])
        .Concat(Directory.Exists(Path.Combine(Images, "staging")) ? Directory.GetFileSystemEntries(Path.Combine(Images, "staging")) : [])
        .Order().ToList();

    public Result Must(params string[] args)
    {
        var r = Kapsel.Run(args);
        Assert.True(r.ExitCode == 0, $"kapsel {string.Join(' ', args)}: {r}");
        return r;
    }

    /// <summary>kapsel with a file on stdin (KapselBinary.Exec passes text only).</summary>
    public Result RunWithStdinFile(string file, params string[] args) =>
        KapselBinary.Exec("/bin/sh", ["-c", "f=$1; shift; exec \"$@\" < \"$f\"", "sh", file, KapselBinary.Path, "--root", Kapsel.Root, .. args]);

    public JsonObject Inspect(string name)
    {
        var r = Must("image", "inspect", name);
        return (JsonObject)JsonNode.Parse(r.Stdout)!.AsArray().Single()!;
    }

    /// <summary>Asserts a kapsel failure: exit 125 (1 for a verb of several names, the PerName convention) and exactly one line on stderr, no stack trace.</summary>
    public static void AssertOneLineFailure(Result r, string? mentions = null, int exitCode = 125)
    {
        Assert.True(r.ExitCode == exitCode, r.ToString());
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", r.Stderr);
        if (mentions is not null) Assert.Contains(mentions, r.Stderr);
    }

    public static Result Tool(string file, params string[] args)
    {
        var r = KapselBinary.Exec(file, args);
        Assert.True(r.ExitCode == 0, $"{file} {string.Join(' ', args)}: {r}");
        return r;
    }

    public void Dispose()
    {
        Assert.Empty(HostLeaks.MountsUnder(Kapsel.Root));
        _busybox?.Dispose();
        OciTestEnv.Scrub(Work);
        Kapsel.Dispose();
    }
}

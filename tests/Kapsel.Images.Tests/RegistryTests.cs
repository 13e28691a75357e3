using Kapsel.Images.Content;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;
using Kapsel.Images.Registry;

namespace Kapsel.Images.Tests;

public class RegistryTests
{
    private static RegistryOptions OptionsFor(RegistryMode mode, LocalRegistry reg) => mode switch
    {
        RegistryMode.Basic or RegistryMode.Token => new RegistryOptions { Credentials = (LocalRegistry.User, LocalRegistry.Password) },
        RegistryMode.Tls => new RegistryOptions { CaBundle = reg.CaCert },
        _ => new RegistryOptions(),
    };

    [Theory]
    [InlineData(RegistryMode.Anonymous)]
    [InlineData(RegistryMode.Basic)]
    [InlineData(RegistryMode.Tls)]
    [InlineData(RegistryMode.Token)]
    public async Task Push_then_pull_back_with_identical_digests(RegistryMode mode)
    {
        using var reg = new LocalRegistry(mode);
        using var tmp = new TempDir();
        var src = OciLayout.Open(tmp.Sub("src"));
        var (manifest, diffId) = TestImages.Busybox(src);
        var options = OptionsFor(mode, reg);
        var name = ImageName.Parse($"{reg.Host}/test/busybox:v1");
        var events = new List<TransferProgress>();
        await new ImagePusher(src, options).PushAsync(manifest, name, progress: p => { lock (events) events.Add(p); });
        Assert.Contains(events, e => e.Phase == TransferPhase.Done);

        var dst = OciLayout.Open(tmp.Sub("dst"));
        var layers = new LayerStore(tmp.Sub("layers"));
        var pulled = await new ImagePuller(dst, options).PullAsync(name, layers: layers);
        Assert.Equal(manifest.DigestText, pulled.Manifest.DigestText);
        Assert.Equal(diffId, Assert.Single(pulled.DiffIds));
        Assert.Equal(["sh"], pulled.Config.Config!.Cmd!);
        Assert.Equal(layers.LayerPath(diffId), Assert.Single(pulled.LowerDirs));
        Assert.True(File.Exists(Path.Combine(pulled.LowerDirs[0], "bin/busybox")));
        Assert.Equal(manifest.DigestText, dst.Find(name.ToString())!.DigestText);
        if (mode == RegistryMode.Token) Assert.True(reg.TokensIssued >= 2, "push and pull scopes each need a token");

        // Pull by digest too.
        var byDigest = await new ImagePuller(dst, options).PullAsync(name.WithDigest(manifest.DigestText));
        Assert.Equal(manifest.DigestText, byDigest.Manifest.DigestText);
    }

    [Theory]
    [InlineData(RegistryMode.Basic)]
    [InlineData(RegistryMode.Token)]
    public async Task Wrong_or_missing_credentials_are_refused_clearly(RegistryMode mode)
    {
        using var reg = new LocalRegistry(mode);
        using var client = new RegistryClient(reg.Host, new RegistryOptions { Credentials = (LocalRegistry.User, "wrong") });
        var e = await Assert.ThrowsAsync<ImageException>(() => client.GetManifestAsync("x/y", "latest"));
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.Message.Contains("401") || e.Message.Contains("refused the credentials"), e.Message);
        using var anon = new RegistryClient(reg.Host);
        e = await Assert.ThrowsAsync<ImageException>(() => anon.GetManifestAsync("x/y", "latest"));
        Assert.True(e.Message.Contains("log in") || e.Message.Contains("401"), e.Message);
    }

    [Theory]
    [InlineData(false)] // accepts the connection, never answers
    [InlineData(true)]  // answers /v2/ and the manifest, then stalls in the middle of a blob
    public async Task A_registry_that_stalls_fails_within_the_idle_timeout(bool stallInBlob)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            var held = new List<System.Net.Sockets.TcpClient>();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var c = await listener.AcceptTcpClientAsync(stop.Token);
                    held.Add(c);
                    if (!stallInBlob) continue;
                    var stream = c.GetStream();
                    var request = new byte[8192];
                    var n = await stream.ReadAsync(request, stop.Token);
                    var line = System.Text.Encoding.ASCII.GetString(request, 0, n).Split('\n')[0];
                    if (line.Contains("/blobs/"))
                    {
                        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n0123"u8.ToArray(), stop.Token);
                        continue; // and then nothing more
                    }
                    var body = line.Contains("/manifests/") ? ManifestFor(port) : "{}";
                    var type = line.Contains("/manifests/") ? "application/vnd.oci.image.manifest.v1+json" : "application/json";
                    var reply = $"HTTP/1.1 200 OK\r\nContent-Type: {type}\r\nDocker-Content-Digest: {Digest(body)}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(reply), stop.Token);
                    c.Close();
                }
            }
            catch (OperationCanceledException) { }
            finally { foreach (var c in held) c.Dispose(); }
        });
        using var dir = new TempDir();
        var layout = OciLayout.Open(dir.Path);
        var options = new RegistryOptions { PlainHttp = true, IdleTimeout = TimeSpan.FromSeconds(1), ConnectTimeout = TimeSpan.FromSeconds(2) };
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<ImageException>(() => new ImagePuller(layout, options).PullAsync(ImageName.Parse($"127.0.0.1:{port}/stall/img:1")));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the pull waited far beyond its idle timeout");
        Assert.Contains(stallInBlob ? "no data for 1 s" : "no answer within 1 s", e.Message);
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        stop.Cancel();
        listener.Stop();
        await server;
    }

    private static string Digest(string body) =>
        "sha256:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(body))).ToLowerInvariant();

    /// <summary>A manifest whose config blob the stalling server starts sending and never finishes.</summary>
    private static string ManifestFor(int port) =>
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" +
        new string('a', 64) + "\",\"size\":1000000},\"layers\":[]}";

    [Fact]
    public async Task Tls_needs_trust_or_tls_verify_false()
    {
        using var reg = new LocalRegistry(RegistryMode.Tls);
        using (var strict = new RegistryClient(reg.Host))
        {
            var e = await Assert.ThrowsAsync<ImageException>(() => strict.PingAsync());
            Assert.Contains("TLS", e.Message);
        }
        using (var insecure = new RegistryClient(reg.Host, new RegistryOptions { TlsVerify = false })) await insecure.PingAsync();
        using (var trusted = new RegistryClient(reg.Host, new RegistryOptions { CaBundle = reg.CaCert })) await trusted.PingAsync();
    }

    [Fact]
    public async Task Interrupted_blob_download_resumes_with_a_range_request()
    {
        using var reg = new LocalRegistry(RegistryMode.Anonymous);
        using var tmp = new TempDir();
        var src = OciLayout.Open(tmp.Sub("src"));
        var (manifest, _) = TestImages.Busybox(src, extraLayerBytes: 8_000_000);
        var name = ImageName.Parse($"{reg.Host}/big/busybox:1");
        await new ImagePusher(src, new RegistryOptions()).PushAsync(manifest, name);
        var layer = OciJson.ParseManifest(src.Blobs.ReadAllBytes(manifest.Digest)).Layers[0];

        var store = new ContentStore(tmp.Sub("dst"));
        using var cts = new CancellationTokenSource();
        using (var first = new RegistryClient(reg.Host))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.FetchBlobAsync("big/busybox", layer, store,
                p => { if (p.Done > 3_000_000) cts.Cancel(); }, cts.Token));
        }
        Assert.False(store.Exists(layer.Digest));
        var partial = new FileInfo(Path.Combine(store.IngestDir, layer.Digest.Hex + ".partial")).Length;
        Assert.InRange(partial, 3_000_000, layer.Size - 1);

        using var second = new RegistryClient(reg.Host);
        await second.FetchBlobAsync("big/busybox", layer, store);
        Assert.True(store.Verify(layer.Digest));
        Assert.Equal(layer.Size - partial, second.BytesDownloaded);
    }

    [Fact]
    public async Task Chunked_push_existing_blob_skip_and_cross_repo_mount()
    {
        using var reg = new LocalRegistry(RegistryMode.Anonymous);
        using var tmp = new TempDir();
        var src = OciLayout.Open(tmp.Sub("src"));
        var (manifest, _) = TestImages.Busybox(src, extraLayerBytes: 3_000_000);
        var chunked = new RegistryOptions { ChunkSize = 1 << 20 };
        await new ImagePusher(src, chunked).PushAsync(manifest, ImageName.Parse($"{reg.Host}/a/img:1"));

        var events = new List<TransferProgress>();
        await new ImagePusher(src, chunked).PushAsync(manifest, ImageName.Parse($"{reg.Host}/a/img:2"), progress: p => { lock (events) events.Add(p); });
        Assert.All(events, e => Assert.Equal(TransferPhase.Exists, e.Phase));

        events.Clear();
        await new ImagePusher(src, chunked).PushAsync(manifest, ImageName.Parse($"{reg.Host}/b/img:1"), mountFrom: "a/img", progress: p => { lock (events) events.Add(p); });
        Assert.Contains(events, e => e.Phase == TransferPhase.Mounted);
        Assert.DoesNotContain(events, e => e.Phase == TransferPhase.Uploading);

        var dst = OciLayout.Open(tmp.Sub("dst"));
        var pulled = await new ImagePuller(dst).PullAsync(ImageName.Parse($"{reg.Host}/b/img:1"));
        Assert.Equal(manifest.DigestText, pulled.Manifest.DigestText);
    }

    [Fact]
    public async Task Skopeo_reads_what_we_pushed_and_we_pull_what_skopeo_pushed()
    {
        using var reg = new LocalRegistry(RegistryMode.Anonymous);
        using var tmp = new TempDir();
        var src = OciLayout.Open(tmp.Sub("src"));
        var (manifest, _) = TestImages.Busybox(src);
        // skopeo pushes our layout; we pull and compare digests.
        LayerUnpackTests.Run("skopeo", "copy", "--quiet", "--dest-tls-verify=false", $"oci:{src.Root}:busybox", $"docker://{reg.Host}/sk/busybox:1");
        var dst = OciLayout.Open(tmp.Sub("dst"));
        var pulled = await new ImagePuller(dst).PullAsync(ImageName.Parse($"{reg.Host}/sk/busybox:1"));
        Assert.Equal(manifest.DigestText, pulled.Manifest.DigestText);
        // We push; skopeo copies it into a layout of its own: same manifest digest.
        await new ImagePusher(src).PushAsync(manifest, ImageName.Parse($"{reg.Host}/ours/busybox:1"));
        LayerUnpackTests.Run("skopeo", "copy", "--quiet", "--src-tls-verify=false", $"docker://{reg.Host}/ours/busybox:1", $"oci:{tmp.Sub("skopeo-out")}:x");
        Assert.Equal(manifest.DigestText, OciLayout.OpenExisting(Path.Combine(tmp.Path, "skopeo-out")).Find("x")!.DigestText);
    }

    [Fact]
    public async Task Multi_platform_index_selects_the_platform()
    {
        using var reg = new LocalRegistry(RegistryMode.Anonymous);
        using var tmp = new TempDir();
        var src = OciLayout.Open(tmp.Sub("src"));
        var (amd, _) = TestImages.Busybox(src, "amd");
        var (arm, _) = TestImages.Busybox(src, "arm", extraLayerBytes: 10);
        var index = new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests = [amd.With(platform: new Platform { Os = "linux", Architecture = "arm64", Variant = "v8" }),
                arm.With(platform: new Platform { Os = "linux", Architecture = "amd64" })],
        };
        // Note: deliberately swapped so the choice is visible: "amd64" is the second manifest.
        var indexDesc = src.PutJson(OciJson.Serialize(index, OciJsonContext.Default.ImageIndex), MediaTypes.OciIndex);
        var name = ImageName.Parse($"{reg.Host}/multi/busybox:1");
        await new ImagePusher(src).PushAsync(indexDesc, name);
        var dst = OciLayout.Open(tmp.Sub("dst"));
        Assert.Equal(arm.DigestText, (await new ImagePuller(dst).PullAsync(name)).Manifest.DigestText);
        Assert.Equal(amd.DigestText, (await new ImagePuller(dst).PullAsync(name, PlatformSpec.Parse("linux/arm64"))).Manifest.DigestText);
        var e = await Assert.ThrowsAsync<ImageException>(() => new ImagePuller(dst).PullAsync(name, PlatformSpec.Parse("linux/s390x")));
        Assert.Contains("no image for platform linux/s390x", e.Message);
        Assert.Equal(indexDesc.DigestText, dst.Find(name.ToString())!.DigestText);
    }

    [Fact]
    public void Credentials_file_login_logout_0600()
    {
        using var tmp = new TempDir();
        var path = tmp.File("auth.json");
        var store = new CredentialStore(path);
        store.Login("127.0.0.1:5000", "me", "pw:with:colons");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(("me", "pw:with:colons"), store.Get("127.0.0.1:5000"));
        Assert.Null(store.Get("other"));
        Assert.True(store.Logout("127.0.0.1:5000"));
        Assert.False(store.Logout("127.0.0.1:5000"));
        Assert.Null(store.Get("127.0.0.1:5000"));
    }

    [Fact]
    public void Challenge_parsing()
    {
        var c = AuthChallenge.Parse("Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull\"")!;
        Assert.Equal("Bearer", c.Scheme);
        Assert.Equal("https://auth.example/token", c.Realm);
        Assert.Equal("registry.example", c.Service);
        Assert.Equal("repository:a/b:pull", c.Scope);
        Assert.Equal("x", AuthChallenge.Parse("Basic realm=x")!.Realm);
    }
}

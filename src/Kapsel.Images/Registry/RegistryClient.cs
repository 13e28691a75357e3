using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Kapsel.Images.Content;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Registry;

/// <summary>
/// One registry, spoken to with the distribution API: ping, manifests, blobs (resumable,
/// verified downloads; monolithic or chunked uploads with existence check and cross-repo
/// mount). Handles the 401 challenge flow: Basic with stored credentials, or Bearer tokens
/// fetched from the challenge's realm for the request's scope and cached until they expire.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private const int MaxManifestBytes = 4 << 20;
    private readonly string _host;
    private readonly RegistryOptions _options;
    private readonly HttpClient _http;
    private readonly (string User, string Password)? _credentials;
    private readonly ConcurrentDictionary<string, (string Header, DateTimeOffset Expires)> _auth = new();
    private readonly SemaphoreSlim _schemeLock = new(1, 1);
    private X509Certificate2Collection? _extraRoots;
    private volatile bool _certificateSeen;
    private Uri? _base;
    private long _downloaded, _uploaded;

    /// <summary>Blob bytes received over the network by this client (a resumed download counts only what it fetched).</summary>
    public long BytesDownloaded => Interlocked.Read(ref _downloaded);
    public long BytesUploaded => Interlocked.Read(ref _uploaded);

    public string Host => _host;

    public RegistryClient(string host, RegistryOptions? options = null)
    {
        _host = host;
        _options = options ?? new RegistryOptions();
        _credentials = _options.Credentials ?? (_options.AuthFile is { } f ? new CredentialStore(f).Get(host) : null);
        if (_options.CaBundle is { } bundle)
        {
            if (!File.Exists(bundle)) throw new ImageException($"CA bundle {bundle} does not exist");
            _extraRoots = [];
            _extraRoots.ImportFromPemFile(bundle);
        }
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = _options.ConnectTimeout,
            MaxConnectionsPerServer = Math.Max(2, _options.Parallelism + 1),
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = ValidateCertificate },
        };
        _http = new HttpClient(handler) { Timeout = _options.IdleTimeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("kapsel/0.1");
    }

    private bool ValidateCertificate(object sender, X509Certificate? cert, X509Chain? chain, SslPolicyErrors errors)
    {
        _certificateSeen = true;
        if (!_options.TlsVerify || errors == SslPolicyErrors.None) return true;
        if (_extraRoots is null || cert is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(new X509Certificate2(cert));
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";

    private static bool IsLoopback(string host)
    {
        var h = host;
        if (h.StartsWith('[')) h = h[1..h.IndexOf(']')];
        else if (h.Count(c => c == ':') == 1) h = h[..h.IndexOf(':')];
        return h == "localhost" || (IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>https://HOST, or http://HOST for a loopback registry that does not speak TLS.</summary>
    private async Task<Uri> BaseAsync(CancellationToken ct)
    {
        if (_base is not null) return _base;
        await _schemeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_base is not null) return _base;
            if (_options.PlainHttp is { } plain) return _base = new Uri((plain ? "http://" : "https://") + _host);
            var https = new Uri("https://" + _host);
            if (!IsLoopback(_host)) return _base = https;
            try
            {
                using var probe = await _http.GetAsync(new Uri(https, "/v2/"), ct).ConfigureAwait(false);
                return _base = https;
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new ImageException($"registry {_host}: no answer within {Seconds(_options.IdleTimeout)} (KAPSEL_REGISTRY_IDLE_TIMEOUT)", e);
            }
            catch (HttpRequestException e) when (e.InnerException is TimeoutException || e.Message.Contains("timeout", StringComparison.OrdinalIgnoreCase))
            {
                throw new ImageException($"registry {_host}: connection not established within {Seconds(_options.ConnectTimeout)} (KAPSEL_REGISTRY_CONNECT_TIMEOUT)", e);
            }
            catch (HttpRequestException) when (!_certificateSeen)
            {
                // No certificate came back: the server speaks plain HTTP (docker's insecure default for loopback).
                return _base = new Uri("http://" + _host);
            }
            catch (HttpRequestException e)
            {
                throw new ImageException($"registry {_host}: TLS failed: {Flatten(e)} (use a CA bundle, or --tls-verify=false)");
            }
        }
        finally { _schemeLock.Release(); }
    }

    /// <summary>GET /v2/: reachable, and (with credentials) authenticated.</summary>
    public async Task PingAsync(CancellationToken ct = default)
    {
        using var resp = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, "/v2/"), "", ct).ConfigureAwait(false);
        await EnsureSuccess(resp, $"registry {_host}", ct).ConfigureAwait(false);
    }

    /// <summary>Fetches a manifest or index by tag or digest; the digest is computed and checked.</summary>
    public async Task<(byte[] Bytes, string MediaType, Digest Digest)> GetManifestAsync(string repository, string reference, CancellationToken ct = default)
    {
        using var resp = await SendAsync(() =>
        {
            var req = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
            foreach (var type in MediaTypes.ManifestAccept) req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return req;
        }, PullScope(repository), ct).ConfigureAwait(false);
        await EnsureSuccess(resp, $"manifest {_host}/{repository}:{reference}", ct).ConfigureAwait(false);
        if (resp.Content.Headers.ContentLength > MaxManifestBytes)
            throw new ImageException($"manifest {_host}/{repository}:{reference}: larger than {MaxManifestBytes} bytes");
        var bytes = await resp.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var digest = Digest.Of(bytes);
        if (Digest.TryParse(reference, out var wanted) && wanted != digest)
            throw new ImageException($"manifest {_host}/{repository}@{reference}: registry sent content with digest {digest}");
        var mediaType = resp.Content.Headers.ContentType?.MediaType;
        if (!MediaTypes.IsIndex(mediaType) && !MediaTypes.IsManifest(mediaType)) mediaType = OciJson.DetectMediaType(bytes);
        return (bytes, mediaType!, digest);
    }

    public async Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken ct = default, string? scope = null)
    {
        using var resp = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}"), scope ?? PullScope(repository), ct).ConfigureAwait(false);
        if (resp.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccess(resp, $"blob {digest}", ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Downloads a blob into the store, verified. An interrupted earlier download (same store)
    /// continues with a Range request; network errors mid-blob are retried from where they stopped.
    /// </summary>
    public async Task FetchBlobAsync(string repository, Descriptor blob, ContentStore store, Action<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        var digest = blob.Digest;
        if (store.Exists(digest)) { progress?.Invoke(new(blob.DigestText, blob.Size, blob.Size, TransferPhase.Exists)); return; }
        using var ingest = store.BeginIngest(digest, blob.Size);
        if (ingest.AlreadyExists) { progress?.Invoke(new(blob.DigestText, blob.Size, blob.Size, TransferPhase.Exists)); return; }
        for (var attempt = 0; ; attempt++)
        {
            if (ingest.Offset == blob.Size && blob.Size > 0) break;
            var offset = ingest.Offset;
            try
            {
                using var resp = await SendAsync(() =>
                {
                    var req = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}");
                    if (offset > 0) req.Headers.Range = new RangeHeaderValue(offset, null);
                    return req;
                }, PullScope(repository), ct, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
                if (resp.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) { ingest.Restart(); continue; }
                await EnsureSuccess(resp, $"blob {digest}", ct).ConfigureAwait(false);
                if (offset > 0 && resp.StatusCode != HttpStatusCode.PartialContent) ingest.Restart(); // server ignored Range
                await using var body = new IdleTimeoutStream(await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), _options.IdleTimeout,
                    $"registry {_host}: blob {digest}: no data for {Seconds(_options.IdleTimeout)} (KAPSEL_REGISTRY_IDLE_TIMEOUT)");
                var before = ingest.Offset;
                await ingest.CopyFromAsync(body, done =>
                {
                    progress?.Invoke(new(blob.DigestText, done, blob.Size, TransferPhase.Downloading));
                }, ct).ConfigureAwait(false);
                Interlocked.Add(ref _downloaded, ingest.Offset - before);
                break;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested && attempt < 3)
            {
                // Keep what arrived; the next attempt asks for the rest.
            }
        }
        ingest.Commit();
        progress?.Invoke(new(blob.DigestText, blob.Size, blob.Size, TransferPhase.Done));
    }

    /// <summary>
    /// Uploads a blob from the store unless the registry has it; with <paramref name="mountFrom"/>
    /// (a repository on the same registry) it is first offered as a cross-repository mount.
    /// </summary>
    public async Task PushBlobAsync(string repository, Descriptor blob, ContentStore store, string? mountFrom = null,
        Action<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        var digest = blob.Digest;
        var scope = PushScope(repository) + (mountFrom is null ? "" : " " + PullScope(mountFrom));
        if (await BlobExistsAsync(repository, digest, ct, scope).ConfigureAwait(false))
        {
            progress?.Invoke(new(blob.DigestText, blob.Size, blob.Size, TransferPhase.Exists));
            return;
        }
        var start = mountFrom is null
            ? $"/v2/{repository}/blobs/uploads/"
            : $"/v2/{repository}/blobs/uploads/?mount={digest}&from={Uri.EscapeDataString(mountFrom)}";
        Uri location;
        using (var resp = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, start) { Content = new ByteArrayContent([]) }, scope, ct).ConfigureAwait(false))
        {
            if (resp.StatusCode == HttpStatusCode.Created)
            {
                progress?.Invoke(new(blob.DigestText, blob.Size, blob.Size, TransferPhase.Mounted));
                return;
            }
            await EnsureSuccess(resp, $"start upload of {digest}", ct).ConfigureAwait(false);
            location = await LocationOf(resp, ct).ConfigureAwait(false);
        }

        long done = 0;
        if (_options.ChunkSize is { } chunk && blob.Size > chunk)
        {
            await using var file = store.OpenRead(digest, blob.Size);
            var buffer = new byte[chunk];
            while (done < blob.Size)
            {
                var n = await file.ReadAtLeastAsync(buffer, (int)Math.Min(chunk, blob.Size - done), throwOnEndOfStream: true, ct).ConfigureAwait(false);
                var startAt = done;
                var target = location;
                using var resp = await SendAsync(() =>
                {
                    var req = new HttpRequestMessage(HttpMethod.Patch, target) { Content = new ByteArrayContent(buffer, 0, n) };
                    req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    req.Content.Headers.TryAddWithoutValidation("Content-Range", $"{startAt}-{startAt + n - 1}");
                    return req;
                }, scope, ct).ConfigureAwait(false);
                await EnsureSuccess(resp, $"upload chunk of {digest}", ct).ConfigureAwait(false);
                location = await LocationOf(resp, ct).ConfigureAwait(false);
                done += n;
                Interlocked.Add(ref _uploaded, n);
                progress?.Invoke(new(blob.DigestText, done, blob.Size, TransferPhase.Uploading));
            }
            using var final = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, WithQuery(location, $"digest={digest}")) { Content = new ByteArrayContent([]) }, scope, ct).ConfigureAwait(false);
            await EnsureSuccess(final, $"finish upload of {digest}", ct).ConfigureAwait(false);
        }
        else
        {
            using var resp = await SendAsync(() =>
            {
                var content = new ProgressStreamContent(store.OpenRead(digest, blob.Size), blob.Size, n =>
                {
                    Interlocked.Add(ref _uploaded, n);
                    done += n;
                    progress?.Invoke(new(blob.DigestText, done, blob.Size, TransferPhase.Uploading));
                });
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                return new HttpRequestMessage(HttpMethod.Put, WithQuery(location, $"digest={digest}")) { Content = content };
            }, scope, ct).ConfigureAwait(false);
            await EnsureSuccess(resp, $"upload of {digest}", ct).ConfigureAwait(false);
        }
        progress?.Invoke(new(blob.DigestText, blob.Size, blob.Size, TransferPhase.Done));
    }

    /// <summary>PUT a manifest or index under a tag (or its digest); checks the digest the registry reports.</summary>
    public async Task PutManifestAsync(string repository, string reference, byte[] bytes, string mediaType, CancellationToken ct = default)
    {
        using var resp = await SendAsync(() =>
        {
            var req = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}") { Content = new ByteArrayContent(bytes) };
            req.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return req;
        }, PushScope(repository), ct).ConfigureAwait(false);
        await EnsureSuccess(resp, $"manifest {_host}/{repository}:{reference}", ct).ConfigureAwait(false);
        var reported = resp.Headers.TryGetValues("Docker-Content-Digest", out var v) ? v.FirstOrDefault() : null;
        if (reported is not null && reported != Digest.Of(bytes).ToString())
            throw new ImageException($"manifest {_host}/{repository}:{reference}: registry stored digest {reported}, expected {Digest.Of(bytes)}");
    }

    public static string PullScope(string repository) => $"repository:{repository}:pull";
    public static string PushScope(string repository) => $"repository:{repository}:pull,push";

    /// <summary>
    /// Sends a request, answering a 401 challenge (Basic or Bearer) and retrying; a fresh token
    /// refused once more is fetched again once (seen under load: a registry rejecting a token
    /// issued in the same second), then the 401 stands.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> make, string scope, CancellationToken ct,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var baseUri = await BaseAsync(ct).ConfigureAwait(false);
        HttpResponseMessage? resp = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var req = make();
            if (!req.RequestUri!.IsAbsoluteUri) req.RequestUri = new Uri(baseUri, req.RequestUri);
            if (_auth.TryGetValue(scope, out var cached) && cached.Expires > DateTimeOffset.UtcNow)
                req.Headers.Authorization = AuthenticationHeaderValue.Parse(cached.Header);
            try { resp = await _http.SendAsync(req, completion, ct).ConfigureAwait(false); }
            catch (HttpRequestException e) { throw new ImageException($"registry {_host}: {req.Method} {req.RequestUri.AbsolutePath}: {Flatten(e)}", e); }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new ImageException($"registry {_host}: {req.Method} {req.RequestUri.AbsolutePath}: no answer within {Seconds(_options.IdleTimeout)} (KAPSEL_REGISTRY_IDLE_TIMEOUT)", e);
            }
            if (resp.StatusCode != HttpStatusCode.Unauthorized || attempt == 2) return resp;
            var challenge = AuthChallenge.Parse(resp.Headers.WwwAuthenticate.ToString());
            if (challenge is null) return resp;
            if (attempt == 1 && !challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) return resp; // wrong Basic credentials stay wrong
            if (attempt == 1) await Task.Delay(500, ct).ConfigureAwait(false);
            resp.Dispose();
            await AuthenticateAsync(challenge, scope, ct).ConfigureAwait(false);
        }
        return resp!;
    }

    private async Task AuthenticateAsync(AuthChallenge challenge, string scope, CancellationToken ct)
    {
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (_credentials is not { } c) throw new ImageException($"registry {_host}: authentication required (log in first)");
            _auth[scope] = ($"Basic {BasicValue(c)}", DateTimeOffset.MaxValue);
            return;
        }
        if (!challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || challenge.Realm is null)
            throw new ImageException($"registry {_host}: unsupported authentication challenge \"{challenge.Scheme}\"");

        var query = new StringBuilder();
        if (challenge.Service is { } service) query.Append("service=").Append(Uri.EscapeDataString(service));
        var scopes = scope.Length > 0 ? scope.Split(' ') : challenge.Scope is { } s ? [s] : [];
        foreach (var sc in scopes) query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(sc));
        var url = challenge.Realm + (query.Length == 0 ? "" : (challenge.Realm.Contains('?') ? "&" : "?") + query);
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        if (_credentials is { } cred) req.Headers.Authorization = new AuthenticationHeaderValue("Basic", BasicValue(cred));
        HttpResponseMessage resp;
        try { resp = await _http.SendAsync(req, ct).ConfigureAwait(false); }
        catch (HttpRequestException e) { throw new ImageException($"token server {challenge.Realm}: {Flatten(e)}", e); }
        using (resp)
        {
            if (resp.StatusCode == HttpStatusCode.Unauthorized)
                throw new ImageException($"registry {_host}: token server refused the credentials ({(_credentials is null ? "none given; log in first" : "wrong user or password")})");
            await EnsureSuccess(resp, $"token server {challenge.Realm}", ct).ConfigureAwait(false);
            var body = await resp.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            TokenResponse? token;
            try { token = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.TokenResponse); }
            catch (JsonException) { token = null; }
            var value = token?.Token ?? token?.AccessToken ?? throw new ImageException($"token server {challenge.Realm}: answer has no token");
            // Refresh a little early; the spec's default lifetime is 60 s.
            var lifetime = TimeSpan.FromSeconds(Math.Max(10, (token!.ExpiresIn ?? 60) - 5));
            _auth[scope] = ($"Bearer {value}", DateTimeOffset.UtcNow + lifetime);
        }
    }

    private static string BasicValue((string User, string Password) c) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.User}:{c.Password}"));

    private async Task<Uri> LocationOf(HttpResponseMessage resp, CancellationToken ct)
    {
        var location = resp.Headers.Location ?? throw new ImageException($"registry {_host}: upload response without Location");
        return location.IsAbsoluteUri ? location : new Uri(await BaseAsync(ct).ConfigureAwait(false), location);
    }

    private static Uri WithQuery(Uri uri, string query) =>
        new(uri.ToString() + (string.IsNullOrEmpty(uri.Query) ? "?" : "&") + query);

    private async Task EnsureSuccess(HttpResponseMessage resp, string what, CancellationToken ct)
    {
        if (resp.IsSuccessStatusCode) return;
        var detail = "";
        try
        {
            var body = await resp.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            var errors = body.Length > 0 ? JsonSerializer.Deserialize(body, RegistryJsonContext.Default.RegistryErrors) : null;
            if (errors?.Errors is { Count: > 0 } list) detail = ": " + string.Join("; ", list.Select(e => $"{e.Code} {e.Message}"));
        }
        catch (JsonException) { }
        var status = (int)resp.StatusCode;
        var hint = status switch
        {
            401 => " (authentication failed: check the credentials)",
            403 => " (access denied)",
            404 => " (not found)",
            _ => "",
        };
        throw new ImageException($"{what}: HTTP {status} {resp.ReasonPhrase}{detail}{hint}");
    }

    private static string Flatten(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException) parts.Add(x.Message.Split('\n')[0]);
        return string.Join(": ", parts.Distinct());
    }

    public void Dispose() => _http.Dispose();
}

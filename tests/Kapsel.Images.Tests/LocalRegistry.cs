using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Kapsel.Images.Tests;

public enum RegistryMode { Anonymous, Basic, Tls, Token }

/// <summary>
/// Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its own config and storage,
/// in one of four modes; for Token, an in-test token server signs JWTs with a generated key.
/// Everything (process, listener, temp dir) goes away on Dispose.
/// </summary>
public sealed class LocalRegistry : IDisposable
{
    public const string User = "kapsel", Password = "s3cret-pw";
    private readonly TempDir _dir = new();
    private readonly Process _process;
    private readonly HttpListener? _tokenServer;
    private readonly RSA? _tokenKey;
    private readonly X509Certificate2? _tokenCert;
    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public string? CaCert { get; }
    public int TokensIssued;

    public LocalRegistry(RegistryMode mode)
    {
        Port = FreePort();
        var config = new StringBuilder($"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {_dir.Sub("storage")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{Port}
            """);
        config.AppendLine();
        if (mode == RegistryMode.Tls)
        {
            var cert = _dir.File("cert.pem");
            var key = _dir.File("key.pem");
            LayerUnpackTests.Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
            config.AppendLine($"  tls:\n    certificate: {cert}\n    key: {key}");
            CaCert = cert;
        }
        if (mode == RegistryMode.Basic)
        {
            var htpasswd = _dir.File("htpasswd");
            File.WriteAllText(htpasswd, $"{User}:{BCrypt.Net.BCrypt.HashPassword(Password, 10)}\n");
            config.AppendLine($"auth:\n  htpasswd:\n    realm: kapsel-test\n    path: {htpasswd}");
        }
        if (mode == RegistryMode.Token)
        {
            _tokenKey = RSA.Create(2048);
            var req = new CertificateRequest("CN=kapsel-test-token", _tokenKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            _tokenCert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            var bundle = _dir.File("token-ca.pem");
            File.WriteAllText(bundle, _tokenCert.ExportCertificatePem());
            var tokenPort = FreePort();
            _tokenServer = new HttpListener();
            _tokenServer.Prefixes.Add($"http://127.0.0.1:{tokenPort}/");
            _tokenServer.Start();
            _ = Task.Run(ServeTokens);
            config.AppendLine($"auth:\n  token:\n    realm: http://127.0.0.1:{tokenPort}/token\n    service: kapsel-registry\n    issuer: kapsel-test-issuer\n    rootcertbundle: {bundle}");
        }
        var configPath = _dir.File("config.yml");
        File.WriteAllText(configPath, config.ToString());
        _process = Process.Start(new ProcessStartInfo("docker-registry", ["serve", configPath])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited) { Thread.Sleep(50); }
        }
    }

    private async Task ServeTokens()
    {
        while (_tokenServer!.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _tokenServer.GetContextAsync(); }
            catch (Exception) { return; }
            try
            {
                var auth = ctx.Request.Headers["Authorization"];
                var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
                if (auth != expected)
                {
                    ctx.Response.StatusCode = 401;
                    ctx.Response.Close();
                    continue;
                }
                var access = new JsonArray();
                foreach (var scope in ctx.Request.QueryString.GetValues("scope") ?? [])
                {
                    var parts = scope.Split(':');
                    if (parts.Length != 3) continue;
                    access.Add(new JsonObject
                    {
                        ["type"] = parts[0], ["name"] = parts[1],
                        ["actions"] = new JsonArray(parts[2].Split(',').Select(a => (JsonNode)a!).ToArray()),
                    });
                }
                var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                var claims = new JsonObject
                {
                    ["iss"] = "kapsel-test-issuer", ["sub"] = User, ["aud"] = ctx.Request.QueryString["service"],
                    ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now, ["jti"] = Guid.NewGuid().ToString("N"), ["access"] = access,
                };
                var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["x5c"] = new JsonArray(Convert.ToBase64String(_tokenCert!.RawData)) };
                var signingInput = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
                var sig = _tokenKey!.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                var body = Encoding.UTF8.GetBytes(new JsonObject { ["token"] = signingInput + "." + B64(sig), ["expires_in"] = 300 }.ToJsonString());
                Interlocked.Increment(ref TokensIssued);
                ctx.Response.ContentType = "application/json";
                await ctx.Response.OutputStream.WriteAsync(body);
                ctx.Response.Close();
            }
            catch (Exception) { try { ctx.Response.Abort(); } catch { } }
        }
    }

    private static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
        _tokenServer?.Close();
        _tokenKey?.Dispose();
        _tokenCert?.Dispose();
        _dir.Dispose();
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kapsel.Images.Registry;

/// <summary>
/// Registry credentials in a docker config.json-like file: {"auths": {"HOST": {"auth": base64("user:pass")}}}.
/// Written atomically with mode 0600 (created 0600, never widened); other keys in the file are kept.
/// </summary>
public sealed class CredentialStore(string path)
{
    public string Path { get; } = path;

    public (string User, string Password)? Get(string registry)
    {
        if (!File.Exists(Path)) return null;
        var root = Load();
        if (root["auths"] is not JsonObject auths) return null;
        foreach (var key in new[] { registry, "https://" + registry, "http://" + registry })
        {
            if (auths[key]?["auth"]?.GetValue<string>() is not { } b64) continue;
            string text;
            try { text = Encoding.UTF8.GetString(Convert.FromBase64String(b64)); }
            catch (FormatException) { throw new ImageException($"{Path}: credentials for {registry} are not valid base64"); }
            var colon = text.IndexOf(':');
            if (colon < 0) throw new ImageException($"{Path}: credentials for {registry} are not user:password");
            return (text[..colon], text[(colon + 1)..]);
        }
        return null;
    }

    public void Login(string registry, string user, string password)
    {
        var root = File.Exists(Path) ? Load() : new JsonObject();
        if (root["auths"] is not JsonObject auths) root["auths"] = auths = new JsonObject();
        auths[registry] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")) };
        Save(root);
    }

    /// <summary>Removes a registry's credentials; false if there were none.</summary>
    public bool Logout(string registry)
    {
        if (!File.Exists(Path)) return false;
        var root = Load();
        if (root["auths"] is not JsonObject auths || !auths.Remove(registry)) return false;
        Save(root);
        return true;
    }

    private JsonObject Load()
    {
        try { return JsonNode.Parse(File.ReadAllBytes(Path)) as JsonObject ?? new JsonObject(); }
        catch (JsonException e) { throw new ImageException($"{Path}: invalid JSON ({e.Message.Split('\n')[0]})"); }
    }

    private void Save(JsonObject root)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        Directory.CreateDirectory(dir);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(Path)}.tmp-{Environment.ProcessId}");
        using (var f = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            File.SetUnixFileMode(f.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using var writer = new Utf8JsonWriter(f, new JsonWriterOptions { Indented = true });
            root.WriteTo(writer);
        }
        File.Move(temp, Path, overwrite: true);
    }
}

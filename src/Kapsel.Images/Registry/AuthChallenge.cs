namespace Kapsel.Images.Registry;

/// <summary>A parsed WWW-Authenticate challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");
    public string? Scope => Parameters.GetValueOrDefault("scope");

    public static AuthChallenge? Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) return null;
        header = header.Trim();
        var space = header.IndexOf(' ');
        var scheme = space < 0 ? header : header[..space];
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = space < 0 ? header.Length : space + 1;
        while (i < header.Length)
        {
            while (i < header.Length && header[i] is ' ' or ',') i++;
            var eq = header.IndexOf('=', i);
            if (eq < 0) break;
            var key = header[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < header.Length && header[i] == '"')
            {
                var sb = new System.Text.StringBuilder();
                i++;
                while (i < header.Length && header[i] != '"')
                {
                    if (header[i] == '\\' && i + 1 < header.Length) i++;
                    sb.Append(header[i++]);
                }
                i++;
                value = sb.ToString();
            }
            else
            {
                var end = header.IndexOf(',', i);
                if (end < 0) end = header.Length;
                value = header[i..end].Trim();
                i = end;
            }
            parameters[key] = value;
        }
        return new AuthChallenge(scheme, parameters);
    }
}

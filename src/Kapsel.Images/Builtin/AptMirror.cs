namespace Kapsel.Images.Builtin;

/// <summary>Finds the Debian mirror URL this host's apt is configured with (deb822 .sources or one-line format).</summary>
public static class AptMirror
{
    public static string? Find(string etcApt = "/etc/apt")
    {
        var files = new List<string>();
        if (Directory.Exists(Path.Combine(etcApt, "sources.list.d")))
            files.AddRange(Directory.GetFiles(Path.Combine(etcApt, "sources.list.d")).Order());
        if (File.Exists(Path.Combine(etcApt, "sources.list"))) files.Insert(0, Path.Combine(etcApt, "sources.list"));
        foreach (var file in files)
            if (Parse(File.ReadAllText(file), file.EndsWith(".sources")) is { } url) return url;
        return null;
    }

    /// <summary>The first non-security "debian" repository URL in a sources file.</summary>
    public static string? Parse(string text, bool deb822)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#')) continue;
            string? url = null;
            if (deb822 && line.StartsWith("URIs:", StringComparison.OrdinalIgnoreCase))
                url = line[5..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            else if (!deb822 && line.StartsWith("deb "))
                url = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).FirstOrDefault(p => !p.StartsWith('['));
            if (url is not null && !url.Contains("security")) return url;
        }
        return null;
    }
}

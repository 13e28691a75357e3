using System.Globalization;
using Kapsel.Engine;
using Kapsel.Engine.Instances;

namespace Kapsel.Cli;

/// <summary>The docker/podman spellings of run options, turned into the engine's <see cref="InstanceConfig"/>.</summary>
public static class RunOptions
{
    /// <summary>-v SRC:DST[:ro|rw], -v NAME:DST[:ro], -v DST (anonymous volume).</summary>
    public static MountRequest ParseVolume(string text)
    {
        var parts = text.Split(':');
        var readOnly = false;
        if (parts.Length == 3)
        {
            readOnly = parts[2] switch
            {
                "ro" => true,
                "rw" => false,
                var o when o.Split(',').All(x => x is "ro" or "rw" or "z" or "Z") => o.Split(',').Contains("ro"),
                var o => throw new UsageException($"invalid volume \"{text}\": unknown option \"{o}\" (ro, rw)"),
            };
        }
        else if (parts.Length > 3) throw new UsageException($"invalid volume \"{text}\": expected SOURCE:DESTINATION[:ro|rw]");
        if (parts.Length == 1) return new MountRequest { Type = "volume", Destination = Destination(parts[0], text), Anonymous = true };
        var source = parts[0];
        var destination = Destination(parts[1], text);
        if (source.StartsWith('/') || source.StartsWith('.'))
            return new MountRequest { Type = "bind", Source = Path.GetFullPath(source), Destination = destination, ReadOnly = readOnly };
        if (!Engine.Volumes.VolumeStore.IsValidName(source))
            throw new UsageException($"invalid volume \"{text}\": \"{source}\" is neither an absolute path nor a volume name");
        return new MountRequest { Type = "volume", Source = source, Destination = destination, ReadOnly = readOnly };
    }

    /// <summary>--mount type=bind|volume|tmpfs,source=…,target=…[,readonly].</summary>
    public static MountRequest ParseMount(string text)
    {
        var m = new MountRequest { Type = "volume" };
        foreach (var field in text.Split(','))
        {
            var kv = field.Split('=', 2);
            var value = kv.Length == 2 ? kv[1] : null;
            switch (kv[0])
            {
                case "type": m.Type = value is "bind" or "volume" or "tmpfs" ? value : throw new UsageException($"invalid --mount \"{text}\": type must be bind, volume or tmpfs"); break;
                case "source" or "src": m.Source = value; break;
                case "target" or "destination" or "dst": m.Destination = Destination(value ?? "", text); break;
                case "readonly" or "ro": m.ReadOnly = value is null or "true" or "1"; break;
                default: throw new UsageException($"invalid --mount \"{text}\": unknown field \"{kv[0]}\"");
            }
        }
        if (m.Destination.Length == 0) throw new UsageException($"invalid --mount \"{text}\": target= is required");
        if (m.Type == "bind")
        {
            if (m.Source is null) throw new UsageException($"invalid --mount \"{text}\": a bind mount needs source=");
            m.Source = Path.GetFullPath(m.Source);
        }
        if (m.Type == "volume" && m.Source is null) m.Anonymous = true;
        return m;
    }

    private static string Destination(string path, string text) =>
        path.StartsWith('/') ? path : throw new UsageException($"invalid mount \"{text}\": the destination \"{path}\" must be an absolute path");

    /// <summary>512m, 1g, 100k, 1048576 (bytes), as docker reads --memory.</summary>
    public static long ParseBytes(string text, string option)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t.EndsWith('b')) t = t[..^1];
        long unit = 1;
        if (t.Length > 0 && "kmgt".Contains(t[^1]))
        {
            unit = t[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L << 40 };
            t = t[..^1];
        }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new UsageException($"invalid {option} \"{text}\": expected a size such as 512m or 1g");
        return (long)(n * unit);
    }

    public static double ParseCpus(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= Environment.ProcessorCount * 64
            ? n : throw new UsageException($"invalid --cpus \"{text}\": expected a positive number such as 0.5 or 2");

    /// <summary>KEY=VALUE lines; blank lines and # comments skipped; a bare KEY takes this process's value, as docker does.</summary>
    public static IEnumerable<string> ReadEnvFile(string path)
    {
        if (!File.Exists(path)) throw new KapselException($"env file \"{path}\" not found");
        string text;
        try { text = Kapsel.Linux.Fs.BoundedFile.ReadText(path, "env file"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new KapselException(e.Message); }
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            yield return ExpandEnv(line);
        }
    }

    /// <summary>-e KEY (no '=') takes the value from kapsel's own environment; unset means it is skipped.</summary>
    public static string ExpandEnv(string entry) =>
        entry.Contains('=') ? entry : Environment.GetEnvironmentVariable(entry) is { } v ? $"{entry}={v}" : "";
}

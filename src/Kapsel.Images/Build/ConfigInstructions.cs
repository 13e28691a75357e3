using System.Text.RegularExpressions;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Build;

/// <summary>
/// The instructions that only change the image config (no layer): ENV, LABEL, MAINTAINER, CMD,
/// ENTRYPOINT, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD. Shared by
/// `kapsel build` and `kapsel commit --change`.
/// </summary>
public static partial class ConfigInstructions
{
    public static readonly IReadOnlyList<string> DefaultShell = ["/bin/sh", "-c"];

    public static bool Handles(string keyword) => keyword is "ENV" or "LABEL" or "MAINTAINER" or "CMD" or "ENTRYPOINT"
        or "EXPOSE" or "VOLUME" or "USER" or "WORKDIR" or "STOPSIGNAL" or "HEALTHCHECK" or "SHELL" or "ONBUILD";

    /// <summary>Variables an instruction sees: the config's Env first, then the given ARGs.</summary>
    public static Func<string, string?> Lookup(ImageConfig config, IReadOnlyDictionary<string, string?>? args = null) => name =>
    {
        foreach (var e in config.Config?.Env ?? [])
            if (e.Length > name.Length && e[name.Length] == '=' && e.StartsWith(name, StringComparison.Ordinal)) return e[(name.Length + 1)..];
        return args is not null && args.TryGetValue(name, out var v) ? v : null;
    };

    /// <summary>The command of a shell- or JSON-form CMD/ENTRYPOINT/RUN: JSON as is, shell form through SHELL.</summary>
    public static List<string> Command(Instruction x, ImageConfig config) =>
        x.Json is { } json ? [.. json] : [.. config.Config?.Shell ?? DefaultShell, x.Arguments];

    /// <summary>Applies one metadata instruction to <paramref name="config"/>. <paramref name="cmdSet"/> tracks CMD in this stage (ENTRYPOINT resets an inherited CMD).</summary>
    public static void Apply(ImageConfig config, Instruction x, ShellWords words, ref bool cmdSet)
    {
        var c = config.Config ??= new ContainerConfig();
        switch (x.Keyword)
        {
            case "ENV":
                foreach (var (k, v) in words.Pairs(x.Arguments, legacyForm: true, valueOptional: false))
                {
                    var env = c.Env ??= [];
                    env.RemoveAll(e => e.Split('=', 2)[0] == k);
                    env.Add($"{k}={v}");
                }
                break;
            case "LABEL":
                foreach (var (k, v) in words.Pairs(x.Arguments, legacyForm: true, valueOptional: false)) (c.Labels ??= [])[k] = v!;
                break;
            case "MAINTAINER":
                config.Author = words.Word(x.Arguments);
                break;
            case "CMD":
                c.Cmd = x.Arguments.Length == 0 && x.Json is null ? null : Command(x, config);
                cmdSet = true;
                break;
            case "ENTRYPOINT":
                c.Entrypoint = x.Arguments.Length == 0 && x.Json is null ? null : Command(x, config);
                if (!cmdSet) c.Cmd = null;
                break;
            case "EXPOSE":
                foreach (var p in words.Words(x.Arguments))
                    foreach (var port in ExpandPorts(p)) (c.ExposedPorts ??= [])[port] = new EmptyObject();
                break;
            case "VOLUME":
                foreach (var v in x.Json ?? words.Words(x.Arguments))
                {
                    if (v.Length == 0) throw new ImageException("VOLUME: empty path");
                    (c.Volumes ??= [])[v] = new EmptyObject();
                }
                break;
            case "USER":
                c.User = words.Word(x.Arguments).Trim();
                break;
            case "WORKDIR":
                c.WorkingDir = ResolveWorkdir(c.WorkingDir, words.Word(x.Arguments).Trim());
                break;
            case "STOPSIGNAL":
                var signal = words.Word(x.Arguments).Trim();
                if (!SignalRegex().IsMatch(signal)) throw new ImageException($"STOPSIGNAL: invalid signal \"{signal}\"");
                c.StopSignal = signal;
                break;
            case "HEALTHCHECK":
                c.Healthcheck = Healthcheck(x, config);
                break;
            case "SHELL":
                c.Shell = [.. x.Json!];
                break;
            case "ONBUILD":
                var trigger = x.Arguments.Trim();
                var kw = trigger.Split([' ', '\t'], 2)[0].ToUpperInvariant();
                if (kw is "ONBUILD" or "FROM" or "MAINTAINER") throw new ImageException($"ONBUILD: {kw} is not allowed as a trigger");
                if (!ContainerfileParser.Keywords.Contains(kw)) throw new ImageException($"ONBUILD: unknown instruction {kw}");
                (c.OnBuild ??= []).Add(trigger);
                break;
            default:
                throw new ImageException($"{x.Keyword} does not change the image config");
        }
    }

    public static string ResolveWorkdir(string? current, string dir)
    {
        if (dir.Length == 0) throw new ImageException("WORKDIR: empty path");
        var combined = dir.StartsWith('/') ? dir : (string.IsNullOrEmpty(current) ? "/" : current).TrimEnd('/') + "/" + dir;
        var parts = new List<string>();
        foreach (var p in combined.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p == ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    private static IEnumerable<string> ExpandPorts(string spec)
    {
        var slash = spec.IndexOf('/');
        var proto = slash < 0 ? "tcp" : spec[(slash + 1)..].ToLowerInvariant();
        var ports = slash < 0 ? spec : spec[..slash];
        if (proto is not ("tcp" or "udp" or "sctp")) throw new ImageException($"EXPOSE: invalid protocol \"{proto}\" in {spec}");
        var dash = ports.IndexOf('-');
        if (!ushort.TryParse(dash < 0 ? ports : ports[..dash], out var first) || first == 0)
            throw new ImageException($"EXPOSE: invalid port \"{spec}\"");
        var last = first;
        if (dash >= 0 && (!ushort.TryParse(ports[(dash + 1)..], out last) || last < first))
            throw new ImageException($"EXPOSE: invalid port range \"{spec}\"");
        for (var p = (int)first; p <= last; p++) yield return $"{p}/{proto}";
    }

    private static HealthcheckConfig Healthcheck(Instruction x, ImageConfig config)
    {
        var args = x.Arguments.Trim();
        if (args.Equals("NONE", StringComparison.OrdinalIgnoreCase)) return new HealthcheckConfig { Test = ["NONE"] };
        var sp = args.IndexOfAny([' ', '\t']);
        if (sp < 0 || !args[..sp].Equals("CMD", StringComparison.OrdinalIgnoreCase))
            throw new ImageException("HEALTHCHECK: expected NONE or [OPTIONS] CMD command");
        var command = args[(sp + 1)..].Trim();
        var inner = ContainerfileParser.ParseInstruction("CMD " + command, x.Line);
        var hc = new HealthcheckConfig
        {
            Test = inner.Json is { } j ? ["CMD", .. j] : ["CMD-SHELL", command],
            Interval = Duration(x.Flag("interval")), Timeout = Duration(x.Flag("timeout")),
            StartPeriod = Duration(x.Flag("start-period")), StartInterval = Duration(x.Flag("start-interval")),
        };
        if (x.Flag("retries") is { } r)
            hc.Retries = int.TryParse(r, out var n) && n >= 0 ? n : throw new ImageException($"HEALTHCHECK: invalid --retries \"{r}\"");
        _ = config;
        return hc;
    }

    /// <summary>Go duration text ("30s", "1m30s", "500ms") in nanoseconds.</summary>
    public static long? Duration(string? text)
    {
        if (text is null) return null;
        var m = DurationRegex().Matches(text);
        if (m.Count == 0 || string.Concat(m.Select(x => x.Value)) != text) throw new ImageException($"invalid duration \"{text}\" (e.g. 30s, 1m30s, 500ms)");
        double ns = 0;
        foreach (Match part in m)
        {
            var v = double.Parse(part.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            ns += v * part.Groups[2].Value switch
            {
                "ns" => 1, "us" or "µs" => 1e3, "ms" => 1e6, "s" => 1e9, "m" => 60e9, "h" => 3600e9, _ => 0,
            };
        }
        return (long)ns;
    }

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex DurationRegex();

    [GeneratedRegex(@"^(SIG[A-Z0-9+-]+|[0-9]+)$")]
    private static partial Regex SignalRegex();
}

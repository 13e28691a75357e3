namespace Kapsel.Linux.Host;

/// <summary>
/// A program on the host that Kapsel runs: its name (for messages), the paths where Debian puts it
/// (the first that exists wins) and the Debian package that provides it, so it can be installed
/// on first need. The registry of every such tool is <see cref="HostTools"/>.
/// </summary>
public sealed record HostTool(string Name, string Package, IReadOnlyList<string> Paths)
{
    public HostTool(string name, string package, params string[] paths) : this(name, package, (IReadOnlyList<string>)paths) { }

    /// <summary>The same tool looked for at another path first (an environment override such as KAPSEL_BUSYBOX).</summary>
    public HostTool At(string? path) => path is { Length: > 0 } ? this with { Paths = [path] } : this;

    /// <summary>The first of <see cref="Paths"/> that exists as a file, or null.</summary>
    public string? Find() => Paths.FirstOrDefault(File.Exists);
}

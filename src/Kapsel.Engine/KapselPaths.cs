namespace Kapsel.Engine;

/// <summary>
/// Where Kapsel keeps things. Persistent state under Root (default /var/lib/kapsel; --root or
/// KAPSEL_ROOT), runtime state (pids, sockets, OCI runtime state) under RunRoot (default
/// /run/kapsel; --run-root or KAPSEL_RUN_ROOT; ROOT/run when only the root is overridden, so a
/// test's --root keeps everything in one place).
/// </summary>
public sealed record KapselPaths(string Root, string RunRoot)
{
    public const string DefaultRoot = "/var/lib/kapsel";
    public const string DefaultRunRoot = "/run/kapsel";

    public string Images => Path.Combine(Root, "images");
    public string Instances => Path.Combine(Root, "instances");
    public string Volumes => Path.Combine(Root, "volumes");
    public string Database => Path.Combine(Root, "kapsel.db");
    public string OciRuntimeRoot => Path.Combine(RunRoot, "runtime");

    public string InstanceDir(string id) => Path.Combine(Instances, id);

    public static KapselPaths Resolve(string? rootOption, string? runRootOption)
    {
        var root = rootOption ?? Environment.GetEnvironmentVariable("KAPSEL_ROOT");
        var runRoot = runRootOption ?? Environment.GetEnvironmentVariable("KAPSEL_RUN_ROOT");
        if (root is { Length: > 0 })
        {
            root = Path.GetFullPath(root);
            return new KapselPaths(root, runRoot is { Length: > 0 } ? Path.GetFullPath(runRoot) : Path.Combine(root, "run"));
        }
        return new KapselPaths(DefaultRoot, runRoot is { Length: > 0 } ? Path.GetFullPath(runRoot) : DefaultRunRoot);
    }
}

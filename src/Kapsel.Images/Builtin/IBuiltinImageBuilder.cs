namespace Kapsel.Images.Builtin;

/// <summary>Makes a root filesystem without the internet (from host packages or the configured apt mirror).</summary>
public interface IBuiltinImageBuilder
{
    /// <summary>Fills <paramref name="rootfs"/>; returns a one-line description of the source.</summary>
    string Build(string rootfs, Action<string>? progress);
}

/// <summary>The built-in image names and their builders.</summary>
public static class BuiltinImages
{
    public const string Describe = "busybox, debian:bookworm (or another Debian suite name)";

    private static readonly HashSet<string> DebianSuites = ["bookworm", "trixie", "bullseye", "sid", "stable", "testing"];

    public static IBuiltinImageBuilder? For(ImageReference reference) => reference.Name switch
    {
        "busybox" when reference.Tag == "latest" => new BusyboxImageBuilder(),
        "debian" when reference.Tag == "latest" => new DebianImageBuilder("bookworm"),
        "debian" when DebianSuites.Contains(reference.Tag) => new DebianImageBuilder(reference.Tag),
        _ => null,
    };
}

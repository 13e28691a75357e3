using System.Text.Json;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

/// <summary>A throwaway OCI bundle: busybox rootfs with applet links + a config from the `spec` generator, and a private --root.</summary>
public sealed class BusyboxBundle : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("kapsel-oci-bundle-").FullName;
    public string Root { get; }
    public string Rootfs => Path.Combine(Dir, "rootfs");
    public RuntimeSpec Spec { get; }

    public BusyboxBundle(Action<RuntimeSpec>? configure = null, bool rootless = false)
    {
        Root = Path.Combine(Dir, "state");
        foreach (var d in new[] { "bin", "proc", "sys", "dev", "tmp", "etc", "root" })
            Directory.CreateDirectory(Path.Combine(Rootfs, d));
        File.Copy("/bin/busybox", Path.Combine(Rootfs, "bin/busybox"));
        foreach (var applet in new[] { "sh", "true", "false", "echo", "cat", "ls", "sleep", "id", "hostname", "mount", "grep", "ps", "wc", "readlink", "ulimit", "touch" })
            File.CreateSymbolicLink(Path.Combine(Rootfs, "bin", applet), "busybox");
        Spec = DefaultSpec.Create(rootless);
        Spec.Root!.Readonly = false;
        Spec.Process!.Args = ["sh", "-c", "sleep 1000"];
        configure?.Invoke(Spec);
        Save();
    }

    public void Save() => File.WriteAllText(Path.Combine(Dir, "config.json"), JsonSerializer.Serialize(Spec, OciJsonContext.Default.RuntimeSpec));

    /// <summary>Runs the CLI in-process with this bundle's --root; returns exit code and captured output.</summary>
    public (int Code, string Out, string Err) Oci(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = OciMain.Run(["--root", Root, .. args], o, e);
        return (code, o.ToString(), e.ToString());
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
            foreach (var id in Directory.EnumerateDirectories(Root).Select(Path.GetFileName))
                Oci("delete", "--force", id!);
        Directory.Delete(Dir, recursive: true);
    }
}

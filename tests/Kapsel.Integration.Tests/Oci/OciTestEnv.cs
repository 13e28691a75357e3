namespace Kapsel.Integration.Tests.Oci;

/// <summary>Paths and small host helpers shared by the OCI client tests.</summary>
public static class OciTestEnv
{
    /// <summary>The symlink clients are pointed at: its name makes the binary act as the runtime.</summary>
    public static string RuntimePath => Environment.GetEnvironmentVariable("KAPSEL_RUNC")
        ?? Path.Combine(Path.GetDirectoryName(KapselBinary.Path)!, "kapsel-runc");

    public static Result Run(string file, params string[] args) => KapselBinary.Exec(file, args);

    public static Result Must(string file, params string[] args)
    {
        var r = KapselBinary.Exec(file, args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {r}");
        return r;
    }

    public static bool Installed(string tool) =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    /// <summary>Removes cgroup directories named <paramref name="relative"/> in every hierarchy, deepest first (only empty ones go).</summary>
    public static void RemoveCgroupDirs(string relative)
    {
        foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup"))
        {
            var dir = Path.Combine(hierarchy, relative.TrimStart('/'));
            if (!Directory.Exists(dir)) continue;
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(dir))
                try { Directory.Delete(sub); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    public static bool CgroupDirExists(string relative) =>
        Directory.EnumerateDirectories("/sys/fs/cgroup").Any(h => Directory.Exists(Path.Combine(h, relative.TrimStart('/'))));

    /// <summary>Unmounts everything under <paramref name="dir"/> and deletes it; never throws.</summary>
    public static void Scrub(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var m in HostLeaks.MountsUnder(dir).OrderByDescending(m => m.Length))
            KapselBinary.Exec("umount", ["-l", m]);
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

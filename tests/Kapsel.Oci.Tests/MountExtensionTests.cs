using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

/// <summary>
/// runtime-spec 1.2 mount extensions against the real kernel: id-mapped bind mounts ("idmap" with
/// the mount's own maps or the container's user-namespace maps) and recursive mount attributes
/// ("rro", …) that reach every submount, which plain "ro" on an rbind does not.
/// </summary>
public sealed unsafe class MountExtensionTests
{
    /// <summary>A host directory with a file owned by root, to bind into containers.</summary>
    private static string RootOwnedDir(BusyboxBundle b)
    {
        var dir = Path.Combine(b.Dir, "shared");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "file"), "x");
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ed);
        return dir;
    }

    private static void AddApplets(BusyboxBundle b, params string[] applets)
    {
        foreach (var a in applets) File.CreateSymbolicLink(Path.Combine(b.Rootfs, "bin", a), "busybox");
    }

    private static string RunAndRead(BusyboxBundle b, string id)
    {
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, id);
        Assert.True(code == 0, $"exit {code}: {err}");
        return File.ReadAllText(Path.Combine(b.Rootfs, "tmp/out")).Trim();
    }

    [Fact]
    public void IdmapWithTheMountsOwnMapsShowsRootFilesAsTheMappedId()
    {
        using var b = new BusyboxBundle(s => s.Process!.Args = ["sh", "-c", "stat -c '%u:%g' /data/file > /tmp/out"]);
        AddApplets(b, "stat");
        var dir = RootOwnedDir(b);
        b.Spec.Mounts!.Add(new MountSpec
        {
            Destination = "/data", Type = "bind", Source = dir, Options = ["bind", "idmap"],
            UidMappings = [new IdMappingSpec { ContainerId = 0, HostId = 1000, Size = 1 }],
            GidMappings = [new IdMappingSpec { ContainerId = 0, HostId = 2000, Size = 1 }],
        });
        b.Save();
        Assert.Equal("1000:2000", RunAndRead(b, "im1"));
        Assert.Equal("0", HostStatUid(Path.Combine(dir, "file"))); // the host's view of the file is untouched
    }

    [Fact]
    public void IdmapWithoutMapsUsesTheContainersUserNamespace()
    {
        // Inside a user namespace mapping 0 → 100000, a host root-owned file is "nobody" through a plain
        // bind, and root through an id-mapped one.
        using var b = new BusyboxBundle(s =>
        {
            s.Linux!.Namespaces!.Add(new NamespaceSpec { Type = "user" });
            s.Linux.UidMappings = [new IdMappingSpec { ContainerId = 0, HostId = 100000, Size = 65536 }];
            s.Linux.GidMappings = [new IdMappingSpec { ContainerId = 0, HostId = 100000, Size = 65536 }];
            s.Process!.Args = ["sh", "-c", "stat -c %u /plain/file /mapped/file > /tmp/out"];
        });
        AddApplets(b, "stat");
        File.SetUnixFileMode(b.Dir, (UnixFileMode)0x1ed);
        File.SetUnixFileMode(Path.Combine(b.Rootfs, "tmp"), (UnixFileMode)0x1ff);
        var dir = RootOwnedDir(b);
        b.Spec.Mounts!.Add(new MountSpec { Destination = "/plain", Type = "bind", Source = dir, Options = ["bind"] });
        b.Spec.Mounts.Add(new MountSpec { Destination = "/mapped", Type = "bind", Source = dir, Options = ["bind", "idmap"] });
        b.Save();
        Assert.Equal(["65534", "0"], RunAndRead(b, "im2").Split('\n'));
    }

    [Fact]
    public void RecursiveReadOnlyReachesEverySubmount()
    {
        // The host's /dev has submounts (pts, shm, mqueue…): "rro" makes every one read-only.
        const string probe = "/dev/shm/kapsel-rro-probe";
        using var b = new BusyboxBundle(s => s.Process!.Args = ["sh", "-c",
            "grep ' /mnt/dev' /proc/self/mountinfo > /tmp/out; touch /mnt" + probe + " 2>/dev/null && echo WRITABLE >> /tmp/out || true"]);
        b.Spec.Mounts!.Add(new MountSpec { Destination = "/mnt/dev", Type = "bind", Source = "/dev", Options = ["rbind", "rro", "nosuid"] });
        b.Save();
        try
        {
            var lines = RunAndRead(b, "rro1").Split('\n');
            Assert.DoesNotContain("WRITABLE", lines);
            Assert.True(lines.Length >= 2, "no submounts seen under /mnt/dev");
            foreach (var line in lines)
                Assert.Contains("ro", line.Split(' ')[5].Split(',')); // field 6: per-mount options
        }
        finally { File.Delete(probe); }
    }

    [Fact]
    public void TmpfsWithCopyUpStartsWithWhatItCovers()
    {
        using var b = new BusyboxBundle(s => s.Process!.Args = ["sh", "-c",
            "{ grep ' /etc/app ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1,2; stat -c '%u:%g %a' /etc/app; cat /etc/app/conf; stat -c '%u:%g %a' /etc/app/conf;"
            + " readlink /etc/app/link; cat /etc/app/sub/deep; echo new > /etc/app/new && echo wrote; } > /tmp/out 2>&1"]);
        AddApplets(b, "stat", "cut", "sed");
        var covered = Path.Combine(b.Rootfs, "etc/app");
        Directory.CreateDirectory(Path.Combine(covered, "sub"));
        File.WriteAllText(Path.Combine(covered, "conf"), "from-the-image\n");
        File.WriteAllText(Path.Combine(covered, "sub/deep"), "deeper\n");
        File.CreateSymbolicLink(Path.Combine(covered, "link"), "conf");
        Chown(Path.Combine(covered, "conf"), 1234, 4321);
        File.SetUnixFileMode(Path.Combine(covered, "conf"), (UnixFileMode)0x1a0); // 0640
        Chown(covered, 77, 88);
        File.SetUnixFileMode(covered, (UnixFileMode)0x1e8); // 0750
        b.Spec.Mounts!.Add(new MountSpec { Destination = "/etc/app", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "tmpcopyup", "size=1m"] });
        b.Save();

        Assert.Equal(["tmpfs tmpfs", "77:88 750", "from-the-image", "1234:4321 640", "conf", "deeper", "wrote"], RunAndRead(b, "tcu1").Split('\n'));
        Assert.False(File.Exists(Path.Combine(covered, "new")), "the write went to the image, not the tmpfs");
    }

    [Fact]
    public void IdmapOnANonBindMountIsRefused()
    {
        using var b = new BusyboxBundle();
        b.Spec.Mounts!.Add(new MountSpec { Destination = "/scratch", Type = "tmpfs", Source = "tmpfs", Options = ["idmap"] });
        b.Save();
        var (code, _, err) = b.Oci("create", "--bundle", b.Dir, "im3");
        Assert.NotEqual(0, code);
        Assert.Contains("mounts \"/scratch\"", err);
        Assert.False(Directory.Exists(Path.Combine(b.Root, "im3")));
    }

    // No child processes here: the runtime under test resets SIGCHLD, which .NET's Process needs.
    private static string HostStatUid(string path) => Kapsel.Linux.Fs.FileStatus.Lstat(path).Uid.ToString();

    private static unsafe void Chown(string path, int uid, int gid)
    {
        fixed (byte* p = Kapsel.Linux.Interop.Utf8.Z(path))
            Assert.Equal(0, Kapsel.Linux.Interop.Sys.Syscall(Kapsel.Linux.Interop.Sys.SYS_lchown, (long)p, uid, gid));
    }
}

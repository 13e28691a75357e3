namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// Host tools are installed on first need (verification-findings issue, item 1): the real kapsel
/// binary runs in a private mount namespace in which the tool's path is absent (an overlay whose
/// upper directory holds a whiteout for it over the tool's directory) and dpkg's status lacks the
/// package (an overlay over /var/lib/dpkg with the stanza removed), so apt-get really installs it;
/// the new binary lands in the overlay's upper directory, never on the host's own copy.
/// </summary>
public sealed class HostToolInstallTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();
    private readonly string _work = Directory.CreateTempSubdirectory("kapsel-hidetool-").FullName;

    // $1 work dir, $2 tool directory, $3 tool file name, $4 package; the rest: the kapsel command.
    private const string HideAndRun = """
        set -e
        w=$1 dir=$2 file=$3 pkg=$4; shift 4
        mkdir -p $w/bin-up $w/bin-work $w/dpkg-up $w/dpkg-work
        mknod $w/bin-up/$file c 0 0
        mount -t overlay overlay -o lowerdir=$dir,upperdir=$w/bin-up,workdir=$w/bin-work $dir
        awk -v RS= -v ORS='\n\n' -v p="$pkg" 'index($0, "Package: " p "\n") != 1' /var/lib/dpkg/status > $w/dpkg-up/status
        mount -t overlay overlay -o lowerdir=/var/lib/dpkg,upperdir=$w/dpkg-up,workdir=$w/dpkg-work /var/lib/dpkg
        [ ! -e $dir/$file ] && echo "hidden: $dir/$file" >&2
        echo "dpkg: $(dpkg-query -W -f='${Status}' $pkg 2>/dev/null || echo absent)" >&2
        set +e
        "$@"
        code=$?
        [ -f $w/bin-up/$file ] && echo "installed into the overlay: $file" >&2
        exit $code
        """;

    private Result RunWithToolHidden(string directory, string file, string package, params string[] kapselArgs)
    {
        var env = new Dictionary<string, string> { ["KAPSEL_LINK_PREFIX"] = _kapsel.LinkPrefix, ["KAPSEL_NFT_TABLE"] = _kapsel.NftTable };
        return KapselBinary.Exec("unshare", ["-m", "--propagation", "private", "sh", "-c", HideAndRun, "sh",
            _work, directory, file, package, KapselBinary.Path, "--root", _kapsel.Root, .. kapselArgs], env, timeoutMs: 900_000);
    }

    private static void AssertHiddenThenInstalled(Result r, string directory, string file, string package)
    {
        Assert.Contains($"hidden: {directory}/{file}", r.Stderr);
        Assert.DoesNotContain("dpkg: install ok installed", r.Stderr);
        Assert.Contains($"installing {package} (for {file}) with apt-get", r.Stderr);
        Assert.Contains($"installed into the overlay: {file}", r.Stderr);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact]
    public void FirstRunInstallsNftablesWhenNftIsAbsent()
    {
        var images = Path.Combine(KapselBinary.RepoRoot, ".build/test-images/images");
        if (Directory.Exists(images)) KapselBinary.Exec("cp", ["-a", "--reflink=auto", images, _kapsel.Root]);
        // The app level's default network needs nft for its NAT and isolation rules.
        var r = RunWithToolHidden("/usr/sbin", "nft", "nftables", "run", "--rm", "busybox", "true");
        AssertHiddenThenInstalled(r, "/usr/sbin", "nft", "nftables");
        Assert.Contains("table inet " + _kapsel.NftTable, KapselBinary.Exec("nft", ["list", "tables"]).Stdout);
    }

    [Fact]
    public void FirstRunInstallsBusyboxStaticWhenBusyboxIsAbsent()
    {
        // A fresh root: the busybox image is built from the host's busybox on first use.
        var r = RunWithToolHidden("/usr/bin", "busybox", "busybox-static", "run", "--level", "chroot", "--rm", "busybox", "true");
        AssertHiddenThenInstalled(r, "/usr/bin", "busybox", "busybox-static");
        Assert.True(File.Exists(Path.Combine(_kapsel.Root, "images/busybox/latest/rootfs/bin/busybox")));
    }

    public void Dispose()
    {
        _kapsel.Dispose();
        // The namespace died with its overlays; only the directories remain.
        KapselBinary.Exec("rm", ["-rf", _work]);
        Assert.Empty(_kapsel.HostLinks());
        Assert.Empty(HostLeaks.MountsUnder(_work));
        Assert.True(File.Exists("/usr/sbin/nft") && File.Exists("/usr/bin/busybox"), "the host's own tools are untouched");
    }
}

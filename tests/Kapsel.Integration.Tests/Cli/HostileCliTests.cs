namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// Malformed and hostile command lines through the real binary (the hostile-input issue): each is
/// one line on stderr, exit 125, no .NET stack trace, and nothing left behind.
/// </summary>
public sealed class HostileCliTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();
    private readonly string _tmp = Directory.CreateTempSubdirectory("kapsel-it-hostile-").FullName;

    public HostileCliTests()
    {
        var images = Path.Combine(KapselBinary.RepoRoot, ".build/test-images/images");
        if (Directory.Exists(images)) KapselBinary.Exec("cp", ["-a", "--reflink=auto", images, _kapsel.Root]);
    }

    public void Dispose()
    {
        _kapsel.Run("rm", "-f", "hostile-target");
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
        Assert.Empty(HostLeaks.ProcessesMentioning(_kapsel.Root));
        _kapsel.Dispose();
        Directory.Delete(_tmp, recursive: true);
    }

    [Fact]
    public void MissingObjectsExitOneInVerbsOfSeveralNamesAnd125Elsewhere()
    {
        string[][] perName =
        [
            ["inspect", "nope"], ["rm", "nope"], ["rm", "-f", "nope"], ["start", "nope"], ["stop", "nope"], ["restart", "nope"],
            ["kill", "nope"], ["wait", "nope"], ["image", "inspect", "nope"], ["image", "rm", "nope"], ["rmi", "nope"],
            ["volume", "inspect", "nope"], ["volume", "rm", "nope"], ["network", "inspect", "nope"], ["network", "rm", "nope"],
        ];
        string[][] single =
        [
            ["logs", "nope"], ["exec", "nope", "true"], ["cp", "nope:/x", _tmp], ["port", "nope"], ["stats", "--no-stream", "nope"],
            ["top", "nope"], ["commit", "nope", "x:1"], ["tag", "nope", "x:1"], ["image", "history", "nope"],
            ["image", "save", "-o", Path.Combine(_tmp, "x.tar"), "nope"],
        ];
        foreach (var (args, code) in perName.Select(a => (a, 1)).Concat(single.Select(a => (a, 125))))
        {
            var r = _kapsel.Run(args);
            Assert.True(r.ExitCode == code, $"kapsel {string.Join(' ', args)}: expected exit {code}, {r}");
            Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("nope", r.Stderr);
        }
        // The names that exist are still handled, and shown: docker's inspect prints what it found.
        _kapsel.Run("volume", "create", "there");
        var both = _kapsel.Run("volume", "inspect", "there", "nope");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("\"there\"", both.Stdout);
        Assert.Equal(0, _kapsel.Run("volume", "rm", "there").ExitCode);
    }

    private string Refused(string mentions, params string[] args)
    {
        var r = _kapsel.Run(args);
        Assert.True(r.ExitCode == 125, $"kapsel {string.Join(' ', args.Select(a => a.Length > 40 ? a[..40] + "…" : a))}: {r}");
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line: {r.Stderr}");
        Assert.StartsWith("kapsel: ", lines[0]);
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.True(r.Stderr.Length < 1000, "the message echoes a huge value");
        Assert.Contains(mentions, r.Stderr);
        Assert.Equal("[]", _kapsel.Run("ps", "-a", "--format", "json").Stdout.Trim());
        return lines[0];
    }

    [Fact]
    public void GlobalOptionWithoutAValue()
    {
        var r = KapselBinary.Exec(KapselBinary.Path, ["--root"]);
        Assert.Equal(125, r.ExitCode);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--root needs a value", r.Stderr);
    }

    [Fact]
    public void UppercaseReferencesAreInvalidEverywhereBeforeAnyLookup()
    {
        foreach (var args in new[] { new[] { "run", "--rm", "UPPER/case" }, ["pull", "UPPER/case"], ["image", "tag", "busybox", "UPPER/case"] })
            Refused("must be lowercase", args);
    }

    [Fact]
    public void UidMinusOneNeverRunsAsRoot()
    {
        Refused("outside 0..2147483647", "run", "--rm", "--network", "none", "--user", "4294967295", "busybox", "id", "-u");
        Refused("outside 0..2147483647", "run", "--rm", "--network", "none", "--user", "0:4294967295", "busybox", "id", "-u");
        Assert.Equal(0, _kapsel.Run("run", "-d", "--name", "hostile-target", "--network", "none", "busybox", "sleep", "300").ExitCode);
        var exec = _kapsel.Run("exec", "-u", "4294967295", "hostile-target", "id", "-u");
        Assert.Equal(125, exec.ExitCode);
        Assert.Contains("outside 0..2147483647", exec.Stderr);
        Assert.Equal(0, _kapsel.Run("commit", "-c", "USER 4294967295", "hostile-target", "hostile-user:1").ExitCode);
        Assert.Equal(0, _kapsel.Run("rm", "-f", "hostile-target").ExitCode);
        Refused("User", "run", "--rm", "--network", "none", "hostile-user:1", "id", "-u");
    }

    [Fact]
    public void UnboundedFilesAndHugeValuesAreRefused()
    {
        Refused("larger than", "run", "--rm", "--network", "none", "--env-file", "/dev/zero", "busybox", "true");
        var env = Path.Combine(_tmp, "big.env");
        File.WriteAllText(env, "X=" + new string('x', 200_000) + "\n");
        Refused("the kernel allows", "run", "--rm", "--network", "none", "--env-file", env, "busybox", "true");
        Directory.CreateDirectory(Path.Combine(_tmp, "ctx"));
        Refused("larger than", "build", "-f", "/dev/zero", Path.Combine(_tmp, "ctx"));
    }

    [Fact]
    public void BadOutputPathsAreOneLine()
    {
        Refused("", "image", "save", "-o", "/nonexistent/dir/x.tar", "busybox");
        Assert.Equal(0, _kapsel.Run("run", "-d", "--name", "hostile-target", "--network", "none", "busybox", "sleep", "300").ExitCode);
        var r = _kapsel.Run("cp", "hostile-target:/etc/hostname", "");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.Equal(0, _kapsel.Run("rm", "-f", "hostile-target").ExitCode);
    }
}

namespace Kapsel.Integration.Tests.Oci;

/// <summary>kapsel-runc through the real binary, for what needs a separate process: inherited fds, its own stdin/stdout.</summary>
public sealed class RuntimeBinaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kapsel-rt-").FullName;

    public void Dispose()
    {
        foreach (var id in new[] { "p1", "tty1" })
            KapselBinary.Exec(OciTestEnv.RuntimePath, ["--root", Path.Combine(_dir, "state"), "delete", "--force", id]);
        Assert.Empty(HostLeaks.MountsUnder(_dir));
        OciTestEnv.Scrub(_dir);
    }

    private string Bundle(bool terminal, params string[] args)
    {
        var bundle = Path.Combine(_dir, "bundle");
        BusyboxRootfs.Populate(Path.Combine(bundle, "rootfs"));
        OciTestEnv.Must(OciTestEnv.RuntimePath, "spec", "--bundle", bundle);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!;
        config["process"]!["terminal"] = terminal;
        config["process"]!["args"] = new System.Text.Json.Nodes.JsonArray([.. args.Select(a => (System.Text.Json.Nodes.JsonNode)a)]);
        config["root"]!["readonly"] = false;
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
        return bundle;
    }

    [Fact]
    public void ForegroundRunWithTerminalRelaysThePty()
    {
        // terminal: true and no --console-socket: the runtime holds the pty itself (runc does the same).
        var bundle = Bundle(true, "sh");
        var r = KapselBinary.Exec(OciTestEnv.RuntimePath, ["--root", Path.Combine(_dir, "state"), "run", "--bundle", bundle, "tty1"],
            stdin: "tty; echo answer-$((6*7)); exit 5\n", timeoutMs: 30_000);
        Assert.True(r.ExitCode == 5, r.ToString());
        Assert.Contains("/dev/pts/0", r.Stdout);
        Assert.Contains("answer-42", r.Stdout);
    }

    [Fact]
    public void PreserveFdsPassesExactlyTheExtraDescriptors()
    {
        var bundle = Bundle(false, "sh", "-c", "echo via-fd3 >&3; echo via-fd4 >&4; ls /proc/self/fd | wc -l");
        var out3 = Path.Combine(_dir, "fd3");
        var out4 = Path.Combine(_dir, "fd4");
        // fds 3 and 4 open in the runtime; only --preserve-fds 1 of them may reach the container; fd 5 (not preserved) must not.
        var r = KapselBinary.Exec("/bin/sh", ["-c",
            $"exec 3>{out3} 4>{out4} 5</dev/null; exec {OciTestEnv.RuntimePath} --root {_dir}/state run --preserve-fds 2 --bundle {bundle} p1"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("via-fd3\n", File.ReadAllText(out3));
        Assert.Equal("via-fd4\n", File.ReadAllText(out4));
        Assert.Equal("6", r.Stdout.Trim()); // 0-2, 3, 4, and the directory ls reads
    }
}

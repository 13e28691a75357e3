using System.Diagnostics;
using Kapsel.Integration.Tests.Oci;

namespace Kapsel.Integration.Tests.Cli;

/// <summary>
/// `kapsel build` and `kapsel commit` through the real binary with a private --root: multi-stage
/// builds whose RUN steps execute in app-level instances, the layer cache, and images that
/// `kapsel run` runs. Every test checks that nothing is left: instances, mounts, temp dirs.
/// </summary>
public sealed class BuildCliTests : IDisposable
{
    private readonly KapselBinary _kapsel = new();
    private readonly string _context = Directory.CreateTempSubdirectory("kapsel-it-ctx-").FullName;

    public void Dispose()
    {
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
        Assert.Empty(HostLeaks.ProcessesMentioning(_kapsel.Root));
        Directory.Delete(_context, recursive: true);
        _kapsel.Dispose();
    }

    private void Write(string rel, string text)
    {
        var path = Path.Combine(_context, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private Result Build(params string[] extra)
    {
        var r = _kapsel.Run(["build", .. extra, _context]);
        AssertNothingLeft();
        return r;
    }

    private void AssertNothingLeft()
    {
        Assert.Empty(HostLeaks.InstanceDirs(_kapsel.Root));
        Assert.Empty(HostLeaks.MountsUnder(_kapsel.Root));
        Assert.False(Directory.Exists(Path.Combine(_kapsel.Root, "images", "build-tmp")), "build-tmp left behind");
        Assert.Equal("[]", _kapsel.Run("ps", "-a", "--format", "json").Stdout.Trim());
    }

    private static string LastLine(string s) => s.TrimEnd().Split('\n')[^1];

    private const string MultiStage = """
        # syntax=docker/dockerfile:1
        ARG BASE=busybox
        FROM ${BASE} AS builder
        WORKDIR /src
        COPY app/ ./
        RUN echo "compiled $(cat main.txt)" > /artifact \
            && rm /etc/os-release
        FROM busybox
        ENV GREETING="hello there" APP=/opt/app
        WORKDIR $APP
        COPY --from=builder /artifact ./artifact
        COPY --chown=65534:65534 app/data.txt data.txt
        RUN echo "appuser:x:1234:1234::/opt/app:/bin/sh" >> /etc/passwd && mkdir -p /opt/app/state && chown 1234 /opt/app/state
        USER appuser
        ENTRYPOINT ["/bin/sh", "-c"]
        CMD ["id -u; pwd; cat artifact; echo $GREETING; stat -c %u data.txt; test -e /etc/os-release && echo os-release-kept"]
        """;

    [Fact]
    public void CopyThroughASymlinkedParentResolvesInsideTheContextNeverOnTheHost()
    {
        var host = Directory.CreateTempSubdirectory("kapsel-it-hostdir-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(host, "secret"), "host secret");
            File.CreateSymbolicLink(Path.Combine(_context, "link"), host);
            Write("Containerfile", "FROM busybox\nCOPY link/secret /x\n");
            var r = Build("-t", "hostile-copy:1");
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("not found", r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n'));

            // As in Docker, the link resolves as if the context were "/": the context's own copy of that path.
            Write(host.TrimStart('/') + "/secret", "context copy");
            r = Build("-t", "hostile-copy:2");
            Assert.True(r.ExitCode == 0, r.ToString());
            var cat = _kapsel.Run("run", "--rm", "--network", "none", "hostile-copy:2", "cat", "/x");
            Assert.Equal("context copy", cat.Stdout);
        }
        finally { Directory.Delete(host, recursive: true); }
    }

    [Fact]
    public void MultiStageBuildRunsAndSecondBuildIsFullyCached()
    {
        Write("Containerfile", MultiStage);
        Write("app/main.txt", "v1");
        Write("app/data.txt", "data");
        Write("app/debug.log", "must not be copied");
        Write(".dockerignore", "*.log\n");

        var first = Build("-t", "demo:1");
        Assert.True(first.ExitCode == 0, first.ToString());
        var id = LastLine(first.Stdout);
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.DoesNotContain("Using cache", first.Stdout);

        var run = _kapsel.Run("run", "--rm", "demo:1");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("1234\n/opt/app\ncompiled v1\nhello there\n65534\nos-release-kept\n", run.Stdout);
        var files = _kapsel.Run("run", "--rm", "demo:1", "ls /src 2>&1; ls /opt/app");
        Assert.DoesNotContain("debug.log", files.Stdout);
        Assert.Contains("No such file", files.Stdout); // the builder stage's files stay in the builder stage

        var second = Build("-t", "demo:1");
        Assert.True(second.ExitCode == 0, second.ToString());
        var steps = second.Stdout.Split('\n').Count(l => l.StartsWith("STEP ") && !l.Contains(": FROM "));
        Assert.Equal(steps, second.Stdout.Split('\n').Count(l => l == "---> Using cache"));
        Assert.Equal(id, LastLine(second.Stdout));
        AssertNothingLeft();
    }

    [Fact]
    public void ChangingACopiedFileInvalidatesFromThatStepOn()
    {
        Write("Containerfile", "FROM busybox\nRUN echo first > /first\nCOPY input.txt /input.txt\nRUN cat /input.txt > /derived\nCMD [\"cat\", \"/derived\"]\n");
        Write("input.txt", "one\n");
        var a = Build("-t", "inv:1");
        Assert.True(a.ExitCode == 0, a.ToString());
        Write("input.txt", "two\n");
        var b = Build("-t", "inv:1");
        Assert.True(b.ExitCode == 0, b.ToString());
        var lines = b.Stdout.Split('\n').ToList();
        bool CachedAfter(string step)
        {
            var i = lines.FindIndex(l => l.StartsWith(step));
            return lines[i + 1] == "---> Using cache";
        }
        Assert.True(CachedAfter("STEP 2/5"));
        Assert.False(CachedAfter("STEP 3/5"));
        Assert.False(CachedAfter("STEP 4/5"));
        Assert.False(CachedAfter("STEP 5/5"));
        Assert.NotEqual(LastLine(a.Stdout), LastLine(b.Stdout));
        Assert.Equal("two\n", _kapsel.Run("run", "--rm", "inv:1").Stdout);

        var noCache = Build("-t", "inv:1", "--no-cache");
        Assert.DoesNotContain("Using cache", noCache.Stdout);
    }

    [Fact]
    public void AddExtractsArchivesAndBuildArgsReachRun()
    {
        var tarDir = Directory.CreateTempSubdirectory("kapsel-it-tar-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(tarDir, "inside.txt"), "from the archive\n");
            var tar = Process.Start("tar", ["-czf", Path.Combine(_context, "bundle.tar.gz"), "-C", tarDir, "inside.txt"])!;
            tar.WaitForExit();
            Assert.Equal(0, tar.ExitCode);
        }
        finally { Directory.Delete(tarDir, recursive: true); }
        Write("Dockerfile", """
            FROM busybox
            ARG FLAVOR=plain
            ADD bundle.tar.gz /opt/
            COPY *.txt /texts/
            RUN echo "flavor=$FLAVOR" > /flavor
            LABEL org.example.flavor=$FLAVOR
            EXPOSE 8080
            STOPSIGNAL SIGINT
            CMD cat /opt/inside.txt /flavor /texts/a.txt /texts/b.txt
            """);
        Write("a.txt", "a\n");
        Write("b.txt", "b\n");
        var r = Build("-t", "add:1", "--build-arg", "FLAVOR=spicy");
        Assert.True(r.ExitCode == 0, r.ToString());
        var run = _kapsel.Run("run", "--rm", "add:1");
        Assert.Equal("from the archive\nflavor=spicy\na\nb\n", run.Stdout);
    }

    [Fact]
    public void CommitTurnsCreatedAndDeletedFilesIntoAnImage()
    {
        var created = _kapsel.Run("run", "--name", "box", "busybox", "--", "/bin/sh", "-c", "echo made > /created; rm /etc/os-release; mkdir -p /d/e");
        Assert.True(created.ExitCode == 0, created.ToString());
        var commit = _kapsel.Run("commit", "-c", "CMD [\"cat\", \"/created\"]", "-m", "test commit", "box", "snap:1");
        Assert.True(commit.ExitCode == 0, commit.ToString());
        Assert.Matches("^[0-9a-f]{64}$", commit.Stdout.Trim());
        Assert.Equal(0, _kapsel.Run("rm", "box").ExitCode);

        var run = _kapsel.Run("run", "--rm", "snap:1");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("made\n", run.Stdout);
        var gone = _kapsel.Run("run", "--rm", "snap:1", "/bin/sh", "-c", "test -e /etc/os-release; echo $?; test -d /d/e && echo dir");
        Assert.Equal("1\ndir\n", gone.Stdout);
        // A built image can start FROM the committed one.
        Write("Containerfile", "FROM snap:1\nRUN test ! -e /etc/os-release && cat /created > /again\nCMD [\"cat\", \"/again\"]\n");
        Assert.Equal(0, Build("-t", "snap:2").ExitCode);
        Assert.Equal("made\n", _kapsel.Run("run", "--rm", "snap:2").Stdout);
        AssertNothingLeft();
    }

    [Fact]
    public void RunLayerHoldsOnlyTheCommandsChanges()
    {
        Write("Containerfile", "FROM busybox\nRUN echo x > /x && rm /etc/os-release\n");
        var r = Build("-t", "onlyrun:1");
        Assert.True(r.ExitCode == 0, r.ToString());
        var oci = Path.Combine(_kapsel.Root, "images", "oci");
        using var index = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(oci, "index.json")));
        var manifestDigest = index.RootElement.GetProperty("manifests").EnumerateArray()
            .First(m => m.TryGetProperty("annotations", out var a) && a.GetProperty("org.opencontainers.image.ref.name").GetString() == "docker.io/library/onlyrun:1")
            .GetProperty("digest").GetString()!;
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(oci, "blobs", "sha256", manifestDigest[7..])));
        var top = manifest.RootElement.GetProperty("layers").EnumerateArray().Last().GetProperty("digest").GetString()!;
        var list = KapselBinary.Exec("tar", ["-tzf", Path.Combine(oci, "blobs", "sha256", top[7..])]);
        Assert.Equal(0, list.ExitCode);
        // The runtime's mount points (dev/pts, sys/fs/cgroup...) are not the command's changes.
        Assert.Equal(["etc/", "etc/.wh.os-release", "x"], list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [NeedsPodmanFact]
    public void PodmanRunsTheBuiltImageFromTheStoresLayout()
    {
        Write("Containerfile", "FROM busybox\nRUN echo built-by-kapsel > /msg\nUSER nobody\nCMD [\"/bin/sh\", \"-c\", \"cat /msg; id -u\"]\n");
        var build = Build("-t", "interop:1");
        Assert.True(build.ExitCode == 0, build.ToString());
        using var podman = new PodmanHarness();
        // Podman names an oci: pull after the layout's path, which must then be lower case.
        var layout = $"/tmp/kapsel-it-layout-{Guid.NewGuid():N}";
        File.CreateSymbolicLink(layout, Path.Combine(_kapsel.Root, "images", "oci"));
        Result pull;
        try { pull = podman.Podman("pull", "-q", $"oci:{layout}:docker.io/library/interop:1"); }
        finally { File.Delete(layout); }
        Assert.True(pull.ExitCode == 0, pull.ToString());
        var run = podman.RunContainer("--rm", pull.Stdout.Trim());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("built-by-kapsel\n65534\n", run.Stdout);
    }

    [Theory]
    [InlineData("FROM busybox\nRUN true\nFROBNICATE now\n", "Containerfile:3:", "unknown instruction")]
    [InlineData("# no base\nRUN echo hi\n", "Containerfile:2:", "no FROM")]
    [InlineData("FROM busybox\nRUN echo ok\nCOPY ../outside /x\n", "Containerfile:3:", "outside the build context")]
    [InlineData("FROM busybox\nRUN exit 3\n", "Containerfile:2:", "non-zero code: 3")]
    [InlineData("FROM busybox\nCOPY missing.txt /x\n", "Containerfile:2:", "not found")]
    [InlineData("FROM busybox\nRUN --mount=type=cache,target=/c true\n", "Containerfile:2:", "RUN --mount is not supported")]
    [InlineData("FROM busybox\nADD https://example.com/x.tar /x\n", "Containerfile:2:", "remote sources are not supported")]
    public void BadContainerfileIsOneLineWithTheLineNumberAndLeavesNothing(string containerfile, string where, string what)
    {
        Write("Containerfile", containerfile);
        var r = Build("-t", "bad:1");
        Assert.Equal(125, r.ExitCode);
        var lines = r.Stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains(where, lines[0]);
        Assert.Contains(what, lines[0]);
        Assert.DoesNotContain("bad", _kapsel.Run("images").Stdout);
    }
}

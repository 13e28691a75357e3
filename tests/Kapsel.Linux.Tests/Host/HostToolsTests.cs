using Kapsel.Linux.Host;

namespace Kapsel.Linux.Tests.Host;

/// <summary>The one way to run host tools: bounded output, a timeout, one-line errors for a tool that can't be had.</summary>
public sealed class HostToolsTests
{
    private static readonly HostTool Shell = new("sh", "dash", "/bin/sh");

    [Fact]
    public void OutputIsBoundedAndTheToolStillRunsToTheEnd()
    {
        var r = HostTools.Run(Shell, ["-c", "head -c 5000000 /dev/zero | tr '\\0' x; echo done >&2; exit 3"], outputLimit: 1000);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal(new string('x', 1000), r.Stdout);
        Assert.Equal("done", r.Stderr.Trim());
    }

    [Fact]
    public void StdinIsFedAndATimeoutKills()
    {
        Assert.Equal("hello", HostTools.Run(Shell, ["-c", "cat"], stdin: "hello").Stdout);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var r = HostTools.Run(Shell, ["-c", "sleep 30"], timeout: TimeSpan.FromMilliseconds(300));
        Assert.Equal(137, r.ExitCode);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10));
        Assert.StartsWith("Error: sh did not finish within", r.ErrorLine);
    }

    [Fact]
    public void AToolThatCannotBeInstalledIsOneLineNamingItsPackage()
    {
        var missing = new HostTool("frobnicate", "frobnicate-tools", "/nonexistent/frobnicate");
        var previous = Environment.GetEnvironmentVariable("KAPSEL_NO_APT");
        Environment.SetEnvironmentVariable("KAPSEL_NO_APT", "1");
        try
        {
            var e = Assert.Throws<HostPackageMissingException>(() => HostTools.Run(missing, ["x"]));
            Assert.Equal("/nonexistent/frobnicate is missing (Debian package frobnicate-tools) and automatic installation is disabled (KAPSEL_NO_APT)", e.Message);
        }
        finally { Environment.SetEnvironmentVariable("KAPSEL_NO_APT", previous); }
    }

    [Fact]
    public void EveryRegisteredToolNamesADebianPackageAndAnAbsolutePath()
    {
        foreach (var tool in HostTools.All)
        {
            Assert.False(string.IsNullOrEmpty(tool.Package));
            Assert.All(tool.Paths, p => Assert.StartsWith("/", p));
            Assert.NotNull(tool.Find()); // this machine has them all (scripts/install-deps.sh)
        }
    }
}

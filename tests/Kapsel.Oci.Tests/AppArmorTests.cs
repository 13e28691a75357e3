using Kapsel.Linux.Spawn;
using Kapsel.Oci.Runtime;
using Xunit.Abstractions;

namespace Kapsel.Oci.Tests;

/// <summary>process.apparmorProfile: applied at execve where the host runs AppArmor, ignored with a warning where it does not.</summary>
public sealed class AppArmorTests(ITestOutputHelper output)
{
    [Fact]
    public void ProfileIsAppliedWhereAppArmorRunsAndIgnoredWithAWarningElsewhere()
    {
        using var b = new BusyboxBundle(s =>
        {
            s.Process!.ApparmorProfile = "kapsel-test-no-such-profile";
            s.Process.Args = ["true"];
        });
        var (code, _, err) = b.Oci("run", "--bundle", b.Dir, "aa1");
        if (AppArmor.Enabled())
        {
            // The kernel refuses a profile it has not loaded: proof that the step ran.
            output.WriteLine("AppArmor is enabled here: checking that an unknown profile is refused");
            Assert.NotEqual(0, code);
            Assert.Contains("attr", err);
        }
        else
        {
            output.WriteLine("AppArmor is not enabled on this machine: checking the warning (the profile step is covered by the plan test)");
            Assert.True(code == 0, err);
            Assert.Contains("apparmorProfile: AppArmor is not enabled on this host", err);
        }
    }

    [Theory]
    [InlineData(true, "/proc/thread-self/attr/apparmor/exec")]
    [InlineData(false, "/proc/thread-self/attr/exec")]
    public void ProfileIsWrittenToTheAttributeOpenedBeforeTheContainersProcIsInView(bool lsmSpecific, string path)
    {
        Assert.Equal(path, AppArmor.AttributePath(lsmSpecific));
        using var plan = new SpawnPlan();
        AppArmor.AddProfileWrite(plan, "containers-default-0.50");
        var steps = Enumerable.Range(0, plan.StepCount).Select(plan.Describe).ToList();
        Assert.Contains("write(apparmor exec profile \"containers-default-0.50\")", steps);
    }
}

using Kapsel.Oci.Seccomp;

namespace Kapsel.Oci.Tests.Seccomp;

public sealed class SeccompFeaturesTests
{
    [Fact]
    public void ListsWhatTheCompilerAccepts()
    {
        Assert.True(SeccompFeatures.Enabled);
        foreach (var action in SeccompFeatures.Actions)
            SeccompCompiler.Compile(new SeccompProfile
            {
                DefaultAction = action == "SCMP_ACT_NOTIFY" ? "SCMP_ACT_ALLOW" : action,
                Syscalls = [new SeccompSyscallRule { Names = ["getpid"], Action = action }],
            });
        foreach (var op in SeccompFeatures.Operators) SeccompOperators.Parse(op, "op");
        foreach (var arch in SeccompFeatures.Archs) SeccompArchitecture.Parse(arch, "arch");
        foreach (var flag in SeccompFeatures.KnownFlags) SeccompFilterFlags.Parse(flag, "flag");
        Assert.Contains("SCMP_ARCH_X86_64", SeccompFeatures.Archs);
        Assert.Contains("SCMP_CMP_MASKED_EQ", SeccompFeatures.Operators);
        Assert.Equal(9, SeccompFeatures.Actions.Count);
    }

    [Fact]
    public void ThisKernelSupportsTheUsualFlags()
    {
        var supported = SeccompFeatures.SupportedFlags();
        Assert.Contains("SECCOMP_FILTER_FLAG_LOG", supported);
        Assert.Contains("SECCOMP_FILTER_FLAG_SPEC_ALLOW", supported);
        Assert.Contains("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", supported); // kernel 5.19+
        // Probing installed nothing in this process.
        Assert.Contains("Seccomp:\t0", File.ReadAllText("/proc/self/status"));
    }
}

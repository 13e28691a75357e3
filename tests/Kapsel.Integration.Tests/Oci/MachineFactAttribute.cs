namespace Kapsel.Integration.Tests.Oci;

/// <summary>
/// A [Fact] that is skipped, with the reason shown in the test output, when the machine lacks
/// what the test needs. Decided at discovery, so a missing client is never a silent pass.
/// </summary>
public abstract class MachineFactAttribute : FactAttribute
{
    protected MachineFactAttribute(Func<string?> missing)
    {
        if (Skip is null && missing() is { } reason) Skip = reason;
    }
}

public sealed class NeedsPodmanFactAttribute() : MachineFactAttribute(() =>
    OciTestEnv.Installed("podman") && OciTestEnv.Installed("conmon") ? null : "podman/conmon not installed (scripts/install-deps.sh installs podman)");

public sealed class NeedsContainerdFactAttribute() : MachineFactAttribute(() =>
    OciTestEnv.Installed("containerd") && OciTestEnv.Installed("ctr") && OciTestEnv.Installed("containerd-shim-runc-v2")
        ? null : "containerd/ctr/containerd-shim-runc-v2 not installed (scripts/install-deps.sh installs containerd)");

public sealed class NeedsRuncFactAttribute() : MachineFactAttribute(() =>
    OciTestEnv.Installed("runc") ? null : "runc not installed (scripts/install-deps.sh installs runc)");

public sealed class NeedsDockerFactAttribute() : MachineFactAttribute(DockerHarness.WhyUnavailable);

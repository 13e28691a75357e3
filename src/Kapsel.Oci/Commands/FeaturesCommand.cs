using System.Text.Json;
using Kapsel.Linux.Cgroups;
using Kapsel.Linux.Interop;
using Kapsel.Oci.Runtime;
using Kapsel.Oci.Seccomp;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Commands;

/// <summary>features: what this runtime supports (runtime-spec features.md), as runc prints it.</summary>
public static class FeaturesCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        CommandLine.Parse(args, "features", [], []);
        var mode = CgroupLayout.Detect().Mode;
        var features = new Features
        {
            Hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
            MountOptions = MountOptions.KnownNames.ToList(),
            Linux = new LinuxFeatures
            {
                Namespaces = [.. SpecValidator.NamespaceTypes],
                Capabilities = CapabilityCalls.Names.Take(CapabilityCalls.LastCap + 1).ToList(),
                Cgroup = new CgroupFeatures { V1 = mode != CgroupLayoutMode.Unified, V2 = mode != CgroupLayoutMode.Legacy, Systemd = true, SystemdUser = false },
                Seccomp = new Spec.SeccompFeatures
                {
                    Enabled = Seccomp.SeccompFeatures.Enabled, Actions = [.. Seccomp.SeccompFeatures.Actions], Operators = [.. Seccomp.SeccompFeatures.Operators],
                    Archs = [.. Seccomp.SeccompFeatures.Archs], KnownFlags = [.. Seccomp.SeccompFeatures.KnownFlags], SupportedFlags = [.. Seccomp.SeccompFeatures.SupportedFlags()],
                },
                NetDevices = new EnabledFeature { Enabled = true },
                Apparmor = new EnabledFeature { Enabled = Runtime.AppArmor.Enabled() },
                MountExtensions = new MountExtensionFeatures { Idmap = new EnabledFeature { Enabled = true } },
            },
            Annotations = new Dictionary<string, string> { ["org.opencontainers.runtime-spec.features"] = "kapsel-runc " + OciMain.Version },
        };
        var options = new JsonSerializerOptions(OciJsonContext.Default.Options) { WriteIndented = true };
        ctx.Out.WriteLine(JsonSerializer.Serialize(features, new OciJsonContext(options).Features));
        return 0;
    }
}

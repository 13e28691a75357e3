using Kapsel.Linux.Cgroups;
using Kapsel.Oci;
using Kapsel.Oci.Runtime;

namespace Kapsel.Engine.Instances;

/// <summary>
/// The cgroup of a running container instance, found through the OCI runtime's state (the one
/// cgroup interface: v1, v2 or hybrid), for `stats` and `top`.
/// </summary>
public static class InstanceCgroup
{
    public static ICgroup Of(KapselEngine engine, Instance instance)
    {
        if (instance.Level == InstanceLevel.Chroot)
            throw new KapselException($"instance {instance.Name} is at the chroot level: it has no cgroup of its own");
        if (!InstanceControl.IsRunning(instance)) throw new KapselException($"instance {instance.Name} is not running");
        var runtime = new RuntimeContext { Root = engine.Paths.OciRuntimeRoot, Out = TextWriter.Null, Err = TextWriter.Null };
        try
        {
            var (state, _) = ContainerOps.Load(runtime, instance.Id);
            return ContainerOps.CgroupOf(state) ?? throw new KapselException($"instance {instance.Name} has no cgroup");
        }
        catch (OciException e) { throw new KapselException($"instance {instance.Name}: {e.Message}", e); }
    }
}

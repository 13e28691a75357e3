using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Engine.Drivers;

/// <summary>An instance process that Kapsel spawned directly (chroot level; container levels via the OCI runtime).</summary>
internal sealed class SpawnedInstanceProcess(SpawnedProcess child) : IInstanceProcess
{
    public int Pid => child.Pid;
    public void Signal(int signal) => child.Signal(signal);
    public ExitStatus Wait() => child.Wait();
    public void Dispose() => child.Dispose();
}

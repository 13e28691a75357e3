using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Engine.Drivers;

/// <summary>
/// An instance process that Kapsel spawned directly (chroot level; container levels via the OCI
/// runtime), with what lives as long as it runs (its network session): disposed with it.
/// </summary>
internal sealed class SpawnedInstanceProcess(SpawnedProcess child, IDisposable? attached = null) : IInstanceProcess
{
    public int Pid => child.Pid;
    public int PidFd => child.PidFd;
    public void Signal(int signal) => child.Signal(signal);
    public ExitStatus Wait() => child.Wait();
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        attached?.Dispose();
        child.Dispose();
    }
}

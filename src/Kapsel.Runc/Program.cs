using Kapsel.Linux.Interop;

namespace Kapsel.Runc;

/// <summary>The runc-compatible entry point: everything is in Kapsel.Oci.OciMain.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // HOST.md: SIGCHLD must be SIG_DFL; the runtime waits only on specific pids/pidfds.
        ProcessCalls.ResetChildSignal();
        return Kapsel.Oci.OciMain.Run(args);
    }
}

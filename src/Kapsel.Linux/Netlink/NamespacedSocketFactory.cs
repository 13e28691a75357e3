using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kapsel.Linux;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// Creates a socket (netlink, or any other family) that belongs to another network namespace.
///
/// A socket stays bound to the network namespace it was created in, so it is enough to be inside
/// the target namespace for the one socket(2) call. setns(2) changes only the calling thread, and
/// HOST.md warns that namespaces leak into threads a switched thread starts (the runtime starts
/// thread-pool, tiering and timer threads from whatever thread needs one). So the switch happens on
/// a dedicated, short-lived thread that does nothing but setns → socket → setns back, and ends.
/// The window calls libc through unmanaged function pointers resolved beforehand, in a method
/// compiled fully optimised up front, so no managed code that could start a thread (JIT tiering,
/// stubs, allocation) runs while the thread is in the foreign namespace.
/// </summary>
internal static unsafe class NamespacedSocketFactory
{
    private const int CLONE_NEWNET = 0x40000000;

    private static readonly delegate* unmanaged<int, int, int> SetNs;
    private static readonly delegate* unmanaged<int, int, int, int> Socket;
    private static readonly delegate* unmanaged<int*> ErrnoLocation;

    static NamespacedSocketFactory()
    {
        var libc = NativeLibrary.Load(Sys.Libc);
        SetNs = (delegate* unmanaged<int, int, int>)NativeLibrary.GetExport(libc, "setns");
        Socket = (delegate* unmanaged<int, int, int, int>)NativeLibrary.GetExport(libc, "socket");
        ErrnoLocation = (delegate* unmanaged<int*>)NativeLibrary.GetExport(libc, "__errno_location");
    }

    /// <summary>Returns a new NETLINK_ROUTE socket fd created inside the namespace behind <paramref name="netnsFd"/>.</summary>
    public static int CreateIn(int netnsFd) =>
        CreateIn(netnsFd, NetlinkSocketCalls.AF_NETLINK, NetlinkSocketCalls.SOCK_RAW, NetlinkSocketCalls.NETLINK_ROUTE);

    /// <summary>
    /// Returns a new socket(domain, type | SOCK_CLOEXEC, protocol) fd created inside the namespace
    /// behind <paramref name="netnsFd"/> — e.g. a TCP listener living in a container's namespace.
    /// </summary>
    public static int CreateIn(int netnsFd, int domain, int type, int protocol)
    {
        var result = new WindowResult { Socket = -1 };
        Exception? error = null;
        var thread = new Thread(() =>
        {
            var own = -1;
            try
            {
                own = FileCalls.Open("/proc/thread-self/ns/net", FileCalls.O_RDONLY);
                result = SwitchCreateSwitchBack(netnsFd, own, domain, type | NetlinkSocketCalls.SOCK_CLOEXEC, protocol);
            }
            catch (Exception e) { error = e; }
            finally { FileCalls.Close(own); }
        }, 256 * 1024) { Name = "kapsel-netns-socket", IsBackground = true };
        thread.Start();
        thread.Join();

        if (error is not null) throw error;
        if (result.FailedStep is { } step)
        {
            FileCalls.Close(result.Socket);
            var call = step switch
            {
                1 => $"setns({netnsFd}, CLONE_NEWNET)",
                2 => $"socket({domain}, {type}, {protocol}) in the target netns",
                _ => "setns back to the original netns (the helper thread ended stranded)",
            };
            throw new SyscallException(call, result.Errno);
        }
        return result.Socket;
    }

    private struct WindowResult
    {
        public int Socket;
        public int? FailedStep;
        public int Errno;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static WindowResult SwitchCreateSwitchBack(int targetNs, int ownNs, int domain, int type, int protocol)
    {
        var result = new WindowResult { Socket = -1 };
        if (SetNs(targetNs, CLONE_NEWNET) != 0)
        {
            result.FailedStep = 1;
            result.Errno = *ErrnoLocation();
            return result;
        }
        result.Socket = Socket(domain, type, protocol);
        if (result.Socket < 0)
        {
            result.FailedStep = 2;
            result.Errno = *ErrnoLocation();
        }
        if (SetNs(ownNs, CLONE_NEWNET) != 0)
        {
            result.FailedStep = 3;
            result.Errno = *ErrnoLocation();
        }
        return result;
    }
}

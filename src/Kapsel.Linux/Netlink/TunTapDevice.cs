using System.Text;
using Kapsel.Linux;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Netlink;

public enum TunTapMode
{
    /// <summary>Layer 3: IP packets (IFF_TUN).</summary>
    Tun = 0x0001,
    /// <summary>Layer 2: Ethernet frames (IFF_TAP), what a VM's NIC and a bridge need.</summary>
    Tap = 0x0002,
}

/// <summary>
/// A tun/tap interface. There is no rtnetlink call that creates one: the device is made by
/// TUNSETIFF on an open /dev/net/tun, and lives as long as that fd — unless it is made
/// persistent (TUNSETPERSIST), after which it stays until deleted (e.g. <see cref="RtNetlink.DeleteLink"/>).
/// For QEMU, keep the fd and pass it to the child (<c>-netdev tap,fd=N</c>) or create a
/// persistent device and let QEMU attach by name (<c>ifname=</c>).
/// </summary>
public sealed class TunTapDevice : IDisposable
{
    // _IOW('T', 202..206, int) from linux/if_tun.h.
    private const ulong TUNSETIFF = 0x400454ca, TUNSETPERSIST = 0x400454cb, TUNSETOWNER = 0x400454cc,
        TUNSETGROUP = 0x400454ce;
    private const short IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    private const int IfreqSize = 40, IfNameSize = 16;

    public string Name { get; }
    public TunTapMode Mode { get; }

    /// <summary>The queue fd (close-on-exec; clear that when handing it to a child). -1 once detached or disposed.</summary>
    public int Fd { get; private set; }

    private TunTapDevice(string name, TunTapMode mode, int fd) => (Name, Mode, Fd) = (name, mode, fd);

    /// <summary>
    /// Creates (or attaches to an existing persistent) device without packet-info headers
    /// (IFF_NO_PI). The name may be a pattern like "kt%d"; <see cref="Name"/> is the kernel's choice.
    /// <paramref name="virtioNetHeader"/> adds IFF_VNET_HDR, which QEMU's vhost/virtio offloads use.
    /// </summary>
    public static unsafe TunTapDevice Create(string name, TunTapMode mode = TunTapMode.Tap, bool virtioNetHeader = false)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length is 0 or >= IfNameSize) throw new ArgumentException($"interface name \"{name}\" must be 1 to 15 bytes");
        var fd = FileCalls.Open("/dev/net/tun", FileCalls.O_RDWR);
        try
        {
            var ifreq = stackalloc byte[IfreqSize];
            new Span<byte>(ifreq, IfreqSize).Clear();
            nameBytes.CopyTo(new Span<byte>(ifreq, IfNameSize));
            *(short*)(ifreq + IfNameSize) = (short)((short)mode | IFF_NO_PI | (virtioNetHeader ? IFF_VNET_HDR : 0));
            SyscallException.Check(Sys.Syscall(Sys.SYS_ioctl, fd, (long)TUNSETIFF, (long)ifreq),
                $"ioctl(/dev/net/tun, TUNSETIFF, \"{name}\", {mode})");
            var actual = new ReadOnlySpan<byte>(ifreq, IfNameSize);
            var end = actual.IndexOf((byte)0);
            return new TunTapDevice(Encoding.UTF8.GetString(end < 0 ? actual : actual[..end]), mode, fd);
        }
        catch
        {
            FileCalls.Close(fd);
            throw;
        }
    }

    /// <summary>Creates a persistent device (optionally owned by a user/group, for unprivileged QEMU) and closes the fd.</summary>
    public static string CreatePersistent(string name, TunTapMode mode = TunTapMode.Tap, uint? ownerUid = null, uint? ownerGid = null)
    {
        using var device = Create(name, mode);
        if (ownerUid is { } uid) device.Ioctl(TUNSETOWNER, uid, $"TUNSETOWNER {uid}");
        if (ownerGid is { } gid) device.Ioctl(TUNSETGROUP, gid, $"TUNSETGROUP {gid}");
        device.SetPersistent(true);
        return device.Name;
    }

    /// <summary>Persistent devices outlive the fd; clearing it makes the device vanish when the fd closes.</summary>
    public void SetPersistent(bool persistent) =>
        Ioctl(TUNSETPERSIST, persistent ? 1u : 0u, $"TUNSETPERSIST {(persistent ? 1 : 0)}");

    /// <summary>Hands the fd over to the caller (e.g. to pass to QEMU); this object no longer closes it.</summary>
    public int DetachFd()
    {
        var fd = Fd;
        Fd = -1;
        return fd;
    }

    private void Ioctl(ulong request, uint value, string what)
    {
        ObjectDisposedException.ThrowIf(Fd < 0, this);
        SyscallException.Check(Sys.Syscall(Sys.SYS_ioctl, Fd, (long)request, value), $"ioctl(\"{Name}\", {what})");
    }

    public void Dispose()
    {
        FileCalls.Close(Fd);
        Fd = -1;
    }
}

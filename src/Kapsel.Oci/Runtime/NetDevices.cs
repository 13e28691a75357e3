using System.Net.Sockets;
using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Netlink;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// linux.netDevices (runtime-spec 1.3): existing host links moved into the container's network
/// namespace at create — renamed in the same request when the config gives a name —, their
/// permanent addresses carried over (the kernel drops a link's addresses when it changes
/// namespace) and brought up. At delete, while that namespace still exists (a joined one, or a
/// running container removed with delete --force), they go back to the host under their host
/// names, down. A container's own namespace that died with its init has already handed physical
/// devices back to the host and taken virtual ones (dummy, veth…) with it: that is the kernel's doing.
/// </summary>
internal static class NetDevices
{
    /// <summary>The path of the network namespace the config joins, if it joins one.</summary>
    public static string? JoinedNamespace(RuntimeSpec spec) =>
        spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == "network")?.Path is { Length: > 0 } joined ? joined : null;

    /// <summary>The network namespace the devices go to: a joined one by its path, else the init's own.</summary>
    public static string NamespacePath(RuntimeSpec spec, int initPid) => JoinedNamespace(spec) ?? $"/proc/{initPid}/ns/net";

    /// <summary>host name → name in the container, as recorded in the state for delete.</summary>
    public static Dictionary<string, string> Names(Dictionary<string, NetDeviceSpec> devices) =>
        devices.ToDictionary(d => d.Key, d => string.IsNullOrEmpty(d.Value?.Name) ? d.Key : d.Value.Name!);

    /// <summary>
    /// Moves every device in; each move registers its way back on <paramref name="revert"/>. Returns
    /// the namespace fd, which the caller closes after committing: held until then, it keeps the
    /// namespace alive for those undos even if the init dies first (a dying namespace would delete
    /// virtual devices and hand physical ones back under their container names).
    /// </summary>
    public static int MoveIn(Dictionary<string, string> names, string netnsPath, Revert revert)
    {
        var netnsFd = FileCalls.Open(netnsPath, FileCalls.O_RDONLY);
        revert.Add("network namespace fd", () => FileCalls.Close(netnsFd)); // runs after the moves back
        using var host = RtNetlink.Open();
        using var inside = RtNetlink.OpenInNamespace(netnsFd);
        foreach (var (hostName, name) in names)
        {
            var field = $"config.json: linux.netDevices[\"{hostName}\"]";
            var link = host.FindLink(hostName) ?? throw new OciException($"{field}: no network device of that name on the host");
            // The kernel moves first and renames after: a taken name would strand the device inside.
            if (inside.FindLink(name) is not null) throw new OciException($"{field}: the container's network namespace already has a device named \"{name}\"");
            var addresses = host.ListAddresses(link.Index).Where(IsCarriedOver).Select(a => a.Address).ToList();
            try { host.MoveToNamespace(link.Index, NetworkNamespaceRef.FromFd(netnsFd), name); }
            catch (NetlinkException e)
            {
                if (inside.FindLink(hostName) is not null) MoveOut(netnsFd, hostName, hostName); // moved, then the rename failed
                throw new OciException($"{field}: cannot move it into the container: {e.Message}", inner: e);
            }
            revert.Add($"network device {hostName}", () => MoveOut(netnsFd, hostName, name));
            try
            {
                foreach (var address in addresses) inside.AddAddress(name, address, skipDuplicateDetection: true);
                inside.SetUp(name);
            }
            catch (NetlinkException e) { throw new OciException($"{field}: moved, but setting it up inside failed: {e.Message}", inner: e); }
        }
        return netnsFd;
    }

    /// <summary>Moves the devices back to the host; failures are warnings (delete goes on).</summary>
    public static void MoveAllOut(Dictionary<string, string> names, string netnsPath, Action<string> warn)
    {
        int netnsFd;
        try { netnsFd = FileCalls.Open(netnsPath, FileCalls.O_RDONLY); }
        catch (SyscallException e) { warn($"linux.netDevices: the container's network namespace is gone ({e.Message})"); return; }
        try
        {
            foreach (var (hostName, name) in names)
            {
                try { MoveOut(netnsFd, hostName, name); }
                catch (Exception e) when (e is NetlinkException or SyscallException)
                {
                    warn($"linux.netDevices[\"{hostName}\"]: could not move \"{name}\" back to the host: {e.Message}");
                }
            }
        }
        finally { FileCalls.Close(netnsFd); }
    }

    private static void MoveOut(int netnsFd, string hostName, string name)
    {
        var hostNetns = FileCalls.Open("/proc/self/ns/net", FileCalls.O_RDONLY);
        try
        {
            using var inside = RtNetlink.OpenInNamespace(netnsFd);
            // Down first, so its addresses and routes never clash with the host's while it moves.
            inside.SetDown(name);
            inside.MoveToNamespace(name, NetworkNamespaceRef.FromFd(hostNetns), hostName);
        }
        finally { FileCalls.Close(hostNetns); }
    }

    /// <summary>Configured addresses; IPv6 link-local ones the kernel makes again when the link comes up.</summary>
    private static bool IsCarriedOver(AddressInfo a) =>
        a.IsPermanent && !(a.Address.Address.AddressFamily == AddressFamily.InterNetworkV6 && a.Address.Address.IsIPv6LinkLocal);
}

using Kapsel.Engine.Drivers;
using Kapsel.Engine.Instances;
using Kapsel.Network.Dns;
using Kapsel.Linux.Netlink;
using Kapsel.Network.Networks;
using Kapsel.Network.Ports;

namespace Kapsel.Engine.Networking;

/// <summary>
/// An instance's network while its main process runs: the attachment (veth, lease, /etc files),
/// its published ports (DNAT rules + userland forwarders) and a share of the network's DNS.
/// Held by whoever owns the running process — the monitor of a detached instance, or the kapsel
/// running it in the foreground — and disposed when the process exits, which releases all of it.
/// </summary>
public sealed class InstanceNetworkSession : IDisposable
{
    private readonly NetworkManager _networks;
    private readonly string _instanceId;
    private PublishedPorts? _ports;
    private DnsServer? _dns;
    private readonly Action<string>? _warn;

    public Attachment? Attachment { get; private set; }

    private InstanceNetworkSession(NetworkManager networks, string instanceId, Action<string>? warn) =>
        (_networks, _instanceId, _warn) = (networks, instanceId, warn);

    /// <summary>
    /// Sets up the network of the instance whose processes live in the namespaces of <paramref name="pid"/>.
    /// Everything made is undone if a later step fails.
    /// </summary>
    public static InstanceNetworkSession Open(NetworkManager networks, Instance instance, int pid, string instanceDir, Action<string>? warn = null)
    {
        var session = new InstanceNetworkSession(networks, instance.Id, warn);
        var mode = NetworkMode.Parse(instance.Config.Network, networks.Options.DefaultNetworkName);
        try
        {
            switch (mode.Kind)
            {
                case NetworkModeKind.Host:
                    break;
                case NetworkModeKind.None:
                    networks.Attach(mode, instance.Id, NetworkNamespaceRef.FromPid(pid));
                    break;
                default:
                    var attachment = networks.Connect(mode.NetworkName!, instance.Id, NetworkNamespaceRef.FromPid(pid),
                        new ConnectOptions { Hostname = instance.Name });
                    session.Attachment = attachment;
                    EtcFiles.WriteForNetwork(instanceDir, AppSpecBuilder.HostnameOf(instance), instance.Name, attachment.IPAddress,
                        NetworkManager.ResolvConfFor(attachment));
                    var ports = instance.Config.Ports.Select(PortMapping.Parse).ToList();
                    if (ports.Count > 0) session._ports = networks.Publish(attachment, ports);
                    try { session._dns = networks.StartDns(attachment.Network, shared: true); }
                    catch (NetworkException e) { warn?.Invoke($"names on network \"{attachment.Network}\" will not resolve: {e.Message}"); }
                    break;
            }
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Releases everything, and never throws: it runs when the process has exited, and a failure
    /// here (nft refusing, a link gone) must not stop the owner from recording the exit and
    /// removing an --rm instance. Each failure is a warning; `network prune` removes what is left.
    /// </summary>
    public void Dispose()
    {
        Release("the DNS share", () => _dns?.Dispose());
        _dns = null;
        Release("the published ports", () => _ports?.Dispose());
        _ports = null;
        Release("the network attachment", () => _networks.DisconnectAll(_instanceId));
    }

    private void Release(string what, Action release)
    {
        try { release(); }
        catch (Exception e) when (e is NetworkException or Linux.SyscallException or IOException or InvalidOperationException)
        {
            _warn?.Invoke($"releasing {what} of instance {_instanceId[..12]} failed: {e.Message} ('kapsel network prune' removes what is left)");
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Kapsel.Engine;
using Kapsel.Engine.Instances;
using Kapsel.Network.Networks;

namespace Kapsel.Cli.Commands;

public static class NetworkCommand
{
    private const string Usage = """
        Usage: kapsel network COMMAND

        Commands:
          create [--subnet CIDR] [--gateway IP] [--internal] [--mtu N] NAME
                                     a bridge network (subnet picked from 10.87.0.0/16 when omitted;
                                     MTU 65520 by default: instance-to-instance at loopback speed)
          ls [--format table|json]   list networks
          inspect NAME...            networks with their attached instances (JSON)
          rm [-f] NAME...            remove networks (-f: disconnect attached instances first)
          connect NETWORK INSTANCE   attach a running instance to another network
          disconnect NETWORK INSTANCE
          prune                      remove unused networks and anything a crash left behind
                                     (links, nft rules, leases of instances that are gone)

        Instances join the default network (kapsel0) unless `run --network` names another, or
        none (loopback only) or host. Instances on one network resolve each other by name.
        """;

    public static readonly Command Definition = new(["network"], "Manage networks", Usage, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        if (argv.Length == 0) throw new UsageException("\"kapsel network\" needs a command (create, ls, inspect, rm, connect, disconnect, prune)");
        var args = new ArgReader(argv[1..]);
        ctx.Engine.NetworkNotice = n => Console.Error.WriteLine($"kapsel: {n}");
        try
        {
            return argv[0] switch
            {
                "create" => Create(ctx, args),
                "ls" or "list" => List(ctx, args),
                "inspect" => Inspect(ctx, args),
                "rm" or "remove" => Remove(ctx, args),
                "connect" => Connect(ctx, args),
                "disconnect" => Disconnect(ctx, args),
                "prune" => Prune(ctx, args),
                _ => throw new UsageException($"unknown network command \"{argv[0]}\""),
            };
        }
        catch (NetworkException e) { throw new KapselException(e.Message, e); }
    }

    private static int Create(CliContext ctx, ArgReader args)
    {
        var subnet = args.Value("--subnet");
        var gateway = args.Value("--gateway");
        var isInternal = args.Flag("--internal");
        var ipv6 = args.Value("--ipv6-subnet") ?? (args.Flag("--ipv6") ? "auto" : null);
        var mtuText = args.Value("--mtu");
        int? mtu = mtuText is null ? null : int.TryParse(mtuText, out var m) ? m : throw new UsageException($"invalid --mtu \"{mtuText}\"");
        var names = args.Positionals();
        if (names.Count != 1) throw new UsageException("\"kapsel network create\" needs exactly one NAME");
        var record = ctx.Engine.Networks.Create(names[0], subnet, gateway, isInternal, ipv6, mtu);
        Console.Out.WriteLine(record.Id);
        return 0;
    }

    private static int List(CliContext ctx, ArgReader args)
    {
        var json = Output.WantsJson(args);
        args.Positionals();
        var networks = ctx.Engine.Networks.List();
        var leases = ctx.Engine.Networks.Store.ListLeases();
        var rows = networks.Select(n => ToJson(n, leases.Count(l => l.Network == n.Name))).ToList();
        if (json) { Console.Out.WriteLine(JsonSerializer.Serialize(rows, CliJsonContext.Default.ListNetworkJson)); return 0; }
        Output.Table(["NETWORK ID", "NAME", "SUBNET", "GATEWAY", "BRIDGE", "INTERNAL", "INSTANCES"],
            rows.Select(r => (IReadOnlyList<string>)[r.Id, r.Name, r.Subnet, r.Gateway, r.Bridge, r.Internal ? "yes" : "no", r.Instances.ToString()]));
        return 0;
    }

    private static int Inspect(CliContext ctx, ArgReader args)
    {
        var names = args.Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel network inspect\" needs at least one NAME");
        var instances = ctx.Engine.Instances.List().ToDictionary(i => i.Id);
        var (result, exit) = PerName.Collect(names, name =>
        {
            var n = ctx.Engine.Networks.Get(name);
            var attached = ctx.Engine.Networks.Store.ListLeases(n.Name).Select(l => new NetworkMemberJson(
                l.InstanceId, instances.TryGetValue(l.InstanceId, out var i) ? i.Name : l.Hostname, l.Address.ToString(), l.Mac, l.HostLink)).ToList();
            return ToJson(n, attached.Count) with { Members = attached };
        });
        Console.Out.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.ListNetworkJson));
        return exit;
    }

    private static int Remove(CliContext ctx, ArgReader args)
    {
        var force = args.Flag("-f", "--force");
        var names = args.Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel network rm\" needs at least one NAME");
        return PerName.Each(names, name =>
        {
            ctx.Engine.Networks.Delete(name, force);
            Console.Out.WriteLine(name);
        });
    }

    private static int Connect(CliContext ctx, ArgReader args)
    {
        var (network, instance) = NetworkAndInstance(ctx, args, "connect");
        if (!InstanceControl.IsRunning(instance)) throw new KapselException($"instance {instance.Name} is not running");
        if (instance.Config.Network is "host" or "none" || instance.Level == InstanceLevel.Chroot)
            throw new KapselException($"instance {instance.Name} has no network of its own to connect (network mode {instance.Config.Network ?? "host"})");
        var used = ctx.Engine.Networks.Attachments(instance.Id);
        if (used.Any(a => a.Network == network)) throw new KapselException($"instance {instance.Name} is already connected to \"{network}\"");
        var attachment = ctx.Engine.Networks.Connect(network, instance.Id, Kapsel.Linux.Netlink.NetworkNamespaceRef.FromPid(instance.Pid!.Value),
            new ConnectOptions { Hostname = instance.Name, InterfaceName = $"eth{used.Count}" });
        Console.Out.WriteLine($"{attachment.InstanceInterface} {attachment.Address}");
        return 0;
    }

    private static int Disconnect(CliContext ctx, ArgReader args)
    {
        var (network, instance) = NetworkAndInstance(ctx, args, "disconnect");
        if (ctx.Engine.Networks.Disconnect(network, instance.Id) == 0)
            throw new KapselException($"instance {instance.Name} is not connected to \"{network}\"");
        return 0;
    }

    private static (string Network, Instance Instance) NetworkAndInstance(CliContext ctx, ArgReader args, string verb)
    {
        var p = args.Positionals();
        if (p.Count != 2) throw new UsageException($"\"kapsel network {verb}\" needs NETWORK and INSTANCE");
        ctx.Engine.Networks.Get(p[0]);
        return (p[0], InstanceArgs.Find(ctx, p[1]));
    }

    private static int Prune(CliContext ctx, ArgReader args)
    {
        args.Positionals();
        var networks = ctx.Engine.Networks;
        // Leases of instances that no longer run (their owner was killed) are released at once; a
        // lease of an instance still being created, or of no known instance, only after the grace
        // period (another kapsel may be setting it up right now).
        var instances = ctx.Engine.Instances.List().ToDictionary(i => i.Id);
        bool Stale(LeaseRecord l) => instances.TryGetValue(l.InstanceId, out var i) && i.State != InstanceState.Created
            ? !InstanceControl.IsRunning(i)
            : DateTimeOffset.UtcNow - l.Created > networks.Options.PruneGrace;
        var released = 0;
        foreach (var lease in networks.Store.ListLeases().Where(l => l.Kind == AttachmentKind.Veth && Stale(l)))
            released += networks.Disconnect(lease.Network, lease.InstanceId);
        var report = networks.Prune();
        var removed = new List<string>();
        foreach (var n in networks.List().Where(n => n.Name != networks.Options.DefaultNetworkName))
        {
            if (networks.Store.ListLeases(n.Name).Count > 0) continue;
            networks.Delete(n.Name);
            removed.Add(n.Name);
        }
        foreach (var name in removed) Console.Out.WriteLine($"Deleted network {name}");
        if (released > 0) Console.Out.WriteLine($"Released {released} stale attachment(s)");
        if (!report.IsEmpty) Console.Out.WriteLine($"Repaired: {report}");
        return 0;
    }

    private static NetworkJson ToJson(NetworkRecord n, int count) =>
        new(n.Id, n.Name, n.Subnet.ToString(), n.Gateway.ToString(), n.Bridge, n.Internal, n.Mtu, count, n.Created, null);
}

public sealed record NetworkMemberJson(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("ipAddress")] string IPAddress,
    [property: JsonPropertyName("macAddress")] string Mac,
    [property: JsonPropertyName("hostLink")] string HostLink);

public sealed record NetworkJson(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("subnet")] string Subnet,
    [property: JsonPropertyName("gateway")] string Gateway,
    [property: JsonPropertyName("bridge")] string Bridge,
    [property: JsonPropertyName("internal")] bool Internal,
    [property: JsonPropertyName("mtu")] int? Mtu,
    [property: JsonPropertyName("instances")] int Instances,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("members")] List<NetworkMemberJson>? Members);

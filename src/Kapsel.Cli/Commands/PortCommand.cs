using Kapsel.Network.Ports;

namespace Kapsel.Cli.Commands;

public static class PortCommand
{
    public static readonly Command Definition = new(["port"], "List an instance's published ports", """
        Usage: kapsel port INSTANCE

        Prints each published port as "CTR/PROTO -> HOSTIP:HOSTPORT".
        """, (ctx, argv) =>
        {
            var names = new ArgReader(argv).Positionals();
            if (names.Count != 1) throw new UsageException("\"kapsel port\" needs exactly one INSTANCE");
            var instance = InstanceArgs.Find(ctx, names[0]);
            foreach (var p in instance.Config.Ports.Select(PortMapping.Parse))
                Console.Out.WriteLine($"{p.ContainerPort}/{p.ProtocolName} -> {p.HostIp?.ToString() ?? "0.0.0.0"}:{p.HostPort}");
            return 0;
        });
}

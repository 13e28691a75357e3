using System.Net;

namespace Kapsel.Engine.Drivers;

/// <summary>
/// /etc/hostname, /etc/hosts and /etc/resolv.conf of a container instance: files in the instance
/// directory, bind-mounted over the image's (as Docker does), so the image stays untouched and
/// Kapsel can rewrite them in place (same inode) once the instance's address is known.
/// </summary>
public static class EtcFiles
{
    public static readonly (string File, string Target)[] Names =
        [("hostname", "/etc/hostname"), ("hosts", "/etc/hosts"), ("resolv.conf", "/etc/resolv.conf")];

    /// <summary>Before the network is known: the hostname, localhost entries, and the host's resolvers (what host/none mode keep).</summary>
    public static void WriteInitial(string instanceDir, string hostname, bool hostNetwork)
    {
        File.WriteAllText(Path.Combine(instanceDir, "hostname"), hostname + "\n");
        File.WriteAllText(Path.Combine(instanceDir, "hosts"), hostNetwork && File.Exists("/etc/hosts")
            ? File.ReadAllText("/etc/hosts")
            : Hosts(hostname, null));
        File.WriteAllText(Path.Combine(instanceDir, "resolv.conf"),
            hostNetwork && File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : HostResolvConf());
    }

    /// <summary>On a named network: its own address for its name, and the network's DNS as resolver.</summary>
    public static void WriteForNetwork(string instanceDir, string hostname, string name, IPAddress address, string resolvConf)
    {
        Rewrite(Path.Combine(instanceDir, "hosts"), Hosts(hostname, (address, name)));
        Rewrite(Path.Combine(instanceDir, "resolv.conf"), resolvConf);
    }

    private static string Hosts(string hostname, (IPAddress Address, string Name)? own) =>
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
        (own is { } o ? $"{o.Address}\t{hostname}{(o.Name != hostname ? " " + o.Name : "")}\n" : $"127.0.1.1\t{hostname}\n");

    /// <summary>The host's resolv.conf minus loopback nameservers, which mean nothing inside another network namespace.</summary>
    private static string HostResolvConf()
    {
        if (!File.Exists("/etc/resolv.conf")) return "";
        var lines = File.ReadAllLines("/etc/resolv.conf")
            .Where(l => !(l.StartsWith("nameserver", StringComparison.Ordinal) && l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var ip, ..]
                          && IPAddress.TryParse(ip, out var a) && IPAddress.IsLoopback(a)));
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Truncate and write the same file: a bind mount keeps pointing at this inode.</summary>
    private static void Rewrite(string path, string content)
    {
        using var f = new FileStream(path, FileMode.Truncate, FileAccess.Write);
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        f.Write(bytes);
    }
}

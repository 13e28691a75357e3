using System.Globalization;
using System.Net;
using Kapsel.State;
using Microsoft.Data.Sqlite;

namespace Kapsel.Network.Networks;

/// <summary>
/// <see cref="INetworkStore"/> on SQLite. Its own tables (net_networks, net_leases) are created
/// IF NOT EXISTS, so it can share the engine's database file. Writers use BEGIN IMMEDIATE: the
/// database lock is taken before the read that feeds a decision, so two kapsel processes can
/// never both see an address as free; the busy timeout makes the second one wait, not fail.
/// </summary>
public sealed class SqliteNetworkStore : INetworkStore, IDisposable
{
    private readonly StateDatabase _db;
    private readonly bool _ownsDatabase;
    private readonly Lock _lock = new(); // one connection: one transaction at a time per instance

    /// <summary>Opens its own connection to the state database file (tests, separate processes).</summary>
    public SqliteNetworkStore(string databasePath) : this(new StateDatabase(databasePath), ownsDatabase: true) { }

    /// <summary>Uses the engine's open state database; the network tables are this component's schema.</summary>
    public SqliteNetworkStore(StateDatabase db, bool ownsDatabase = false)
    {
        _db = db;
        _ownsDatabase = ownsDatabase;
        _db.EnsureSchema("network", 1, current =>
        {
            if (current < 1)
                _db.Execute("""
                    CREATE TABLE IF NOT EXISTS net_networks(
                        name TEXT PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        subnet TEXT NOT NULL,
                        gateway TEXT NOT NULL,
                        bridge TEXT NOT NULL UNIQUE,
                        internal INTEGER NOT NULL,
                        mtu INTEGER,
                        state TEXT NOT NULL,
                        created TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS net_leases(
                        id TEXT PRIMARY KEY,
                        network TEXT NOT NULL,
                        instance_id TEXT NOT NULL,
                        hostname TEXT NOT NULL,
                        address TEXT NOT NULL,
                        mac TEXT NOT NULL,
                        host_link TEXT NOT NULL UNIQUE,
                        kind TEXT NOT NULL,
                        state TEXT NOT NULL,
                        created TEXT NOT NULL,
                        UNIQUE(network, address));
                    CREATE INDEX IF NOT EXISTS net_leases_instance ON net_leases(instance_id);
                    """);
        });
    }

    public IReadOnlyList<NetworkRecord> ListNetworks()
    {
        lock (_lock) return ReadNetworks("SELECT * FROM net_networks ORDER BY created, name");
    }

    public NetworkRecord? FindNetwork(string name)
    {
        lock (_lock) return ReadNetworks("SELECT * FROM net_networks WHERE name = $n", ("$n", name)).FirstOrDefault();
    }

    public NetworkRecord AddNetwork(string name, Func<IReadOnlyList<NetworkRecord>, NetworkRecord> decide)
    {
        lock (_lock)
        {
            using var tx = _db.Begin();
            var all = ReadNetworks("SELECT * FROM net_networks");
            if (all.Any(n => n.Name == name)) throw new NetworkException($"network \"{name}\" already exists");
            var record = decide(all);
            Execute("""
                INSERT INTO net_networks(name, id, subnet, gateway, bridge, internal, mtu, state, created)
                VALUES($name, $id, $subnet, $gateway, $bridge, $internal, $mtu, $state, $created)
                """,
                ("$name", record.Name), ("$id", record.Id), ("$subnet", record.Subnet.ToString()),
                ("$gateway", record.Gateway.ToString()), ("$bridge", record.Bridge), ("$internal", record.Internal ? 1 : 0), ("$mtu", record.Mtu),
                ("$state", record.State.ToString()), ("$created", record.Created.ToString("O", CultureInfo.InvariantCulture)));
            tx.Commit();
            return record;
        }
    }

    public void SetNetworkState(string name, RecordState state)
    {
        lock (_lock) Execute("UPDATE net_networks SET state = $s WHERE name = $n", ("$s", state.ToString()), ("$n", name));
    }

    public bool RemoveNetwork(string name)
    {
        lock (_lock)
        {
            using var tx = _db.Begin();
            if (Convert.ToInt64(Scalar("SELECT count(*) FROM net_leases WHERE network = $n", ("$n", name))) > 0)
                throw new NetworkException($"network \"{name}\" still has attached instances");
            var removed = Execute("DELETE FROM net_networks WHERE name = $n", ("$n", name)) > 0;
            tx.Commit();
            return removed;
        }
    }

    public IReadOnlyList<LeaseRecord> ListLeases(string? network = null)
    {
        lock (_lock)
            return network is null
                ? ReadLeases("SELECT * FROM net_leases ORDER BY created")
                : ReadLeases("SELECT * FROM net_leases WHERE network = $n ORDER BY created", ("$n", network));
    }

    public LeaseRecord AddLease(string network, Func<IReadOnlySet<IPAddress>, LeaseRecord> pick)
    {
        lock (_lock)
        {
            using var tx = _db.Begin();
            if (Scalar("SELECT 1 FROM net_networks WHERE name = $n", ("$n", network)) is null)
                throw new NetworkException($"network \"{network}\" not found");
            var taken = ReadLeases("SELECT * FROM net_leases WHERE network = $n", ("$n", network))
                .Select(l => l.Address).ToHashSet();
            var lease = pick(taken);
            Execute("""
                INSERT INTO net_leases(id, network, instance_id, hostname, address, mac, host_link, kind, state, created)
                VALUES($id, $network, $instance, $hostname, $address, $mac, $link, $kind, $state, $created)
                """,
                ("$id", lease.Id), ("$network", lease.Network), ("$instance", lease.InstanceId), ("$hostname", lease.Hostname),
                ("$address", lease.Address.ToString()), ("$mac", lease.Mac), ("$link", lease.HostLink),
                ("$kind", lease.Kind.ToString()), ("$state", lease.State.ToString()),
                ("$created", lease.Created.ToString("O", CultureInfo.InvariantCulture)));
            tx.Commit();
            return lease;
        }
    }

    public void SetLeaseState(string leaseId, RecordState state)
    {
        lock (_lock) Execute("UPDATE net_leases SET state = $s WHERE id = $id", ("$s", state.ToString()), ("$id", leaseId));
    }

    public bool RemoveLease(string leaseId)
    {
        lock (_lock) return Execute("DELETE FROM net_leases WHERE id = $id", ("$id", leaseId)) > 0;
    }

    private List<NetworkRecord> ReadNetworks(string sql, params (string, object?)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        using var reader = cmd.ExecuteReader();
        var result = new List<NetworkRecord>();
        while (reader.Read())
        {
            var subnet = (string)reader["subnet"];
            result.Add(new NetworkRecord(
                (string)reader["name"], (string)reader["id"], IPNetwork.Parse(subnet), IPAddress.Parse((string)reader["gateway"]),
                (string)reader["bridge"], Convert.ToInt64(reader["internal"]) != 0, Enum.Parse<RecordState>((string)reader["state"]),
                DateTimeOffset.Parse((string)reader["created"], CultureInfo.InvariantCulture))
            { Mtu = reader["mtu"] is long mtu ? (int)mtu : null });
        }
        return result;
    }

    private List<LeaseRecord> ReadLeases(string sql, params (string, object?)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        using var reader = cmd.ExecuteReader();
        var result = new List<LeaseRecord>();
        while (reader.Read())
            result.Add(new LeaseRecord(
                (string)reader["id"], (string)reader["network"], (string)reader["instance_id"], (string)reader["hostname"],
                IPAddress.Parse((string)reader["address"]), (string)reader["mac"], (string)reader["host_link"],
                Enum.Parse<AttachmentKind>((string)reader["kind"]), Enum.Parse<RecordState>((string)reader["state"]),
                DateTimeOffset.Parse((string)reader["created"], CultureInfo.InvariantCulture)));
        return result;
    }

    private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters) => _db.Command(sql, parameters);

    private int Execute(string sql, params (string, object?)[] parameters) => _db.Execute(sql, parameters);

    private object? Scalar(string sql, params (string, object?)[] parameters) => _db.Scalar(sql, parameters);

    public void Dispose()
    {
        if (_ownsDatabase) _db.Dispose();
    }
}

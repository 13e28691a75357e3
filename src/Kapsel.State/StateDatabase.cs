using Microsoft.Data.Sqlite;

namespace Kapsel.State;

/// <summary>
/// The one state store: a SQLite database in WAL mode under the Kapsel root, shared by every
/// component (instances, networks, ...), each owning its own tables and schema version. Several
/// kapsel processes may use it at once: writers take the database lock up front (BEGIN
/// IMMEDIATE) and wait for each other (busy timeout) instead of failing.
/// </summary>
public sealed class StateDatabase : IDisposable
{
    private const int SqliteDbConfigNoCheckpointOnClose = 1006; // SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    public string Path { get; }

    public StateDatabase(string databasePath)
    {
        Path = System.IO.Path.GetFullPath(databasePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        _connection.Open();
        // Keep the WAL file between kapsel processes: no checkpoint (and its fsyncs) on every
        // close and no WAL re-creation on every open. SQLite still checkpoints every 200 pages,
        // which keeps the WAL (and the recovery read when a process opens it) small.
        SQLitePCL.raw.sqlite3_db_config(_connection.Handle!, SqliteDbConfigNoCheckpointOnClose, 1, out _);
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=200;");
    }

    /// <summary>
    /// Brings one component's tables to <paramref name="version"/>: <paramref name="migrate"/> gets
    /// the current version (0 = none) and runs inside a write transaction. Cheap when up to date.
    /// </summary>
    public void EnsureSchema(string component, int version, Action<int> migrate)
    {
        lock (_lock)
        {
            if (CurrentVersion(component) == version) return; // the common case: a read, no write lock
            using var tx = Begin();
            Execute("CREATE TABLE IF NOT EXISTS schema_versions(component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
            var current = CurrentVersion(component);
            if (current > version)
                throw new InvalidOperationException($"state database {Path}: {component} schema {current} is newer than this kapsel ({version})");
            if (current < version)
            {
                migrate(current);
                Execute("INSERT INTO schema_versions(component, version) VALUES($c, $v) ON CONFLICT(component) DO UPDATE SET version = $v",
                    ("$c", component), ("$v", version));
            }
            tx.Commit();
        }
    }

    private int CurrentVersion(string component)
    {
        if (Scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'") is null) return 0;
        return Scalar("SELECT version FROM schema_versions WHERE component = $c", ("$c", component)) is long v ? (int)v : 0;
    }

    /// <summary>A write transaction holding the database lock from the start.</summary>
    public SqliteTransaction Begin() => _connection.BeginTransaction(deferred: false);

    public SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteScalar();
    }

    public void Dispose() => _connection.Dispose();
}

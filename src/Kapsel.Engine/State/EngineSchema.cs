using Microsoft.Data.Sqlite;

namespace Kapsel.Engine.State;

/// <summary>
/// The one state store: SQLite in WAL mode under the Kapsel root. Several kapsel processes may
/// use it at once: writers take the database lock up front (BEGIN IMMEDIATE) and wait for each
/// other (busy timeout) instead of failing.
/// </summary>
public sealed class StateStore : IDisposable
{
    private const int SchemaVersion = 1;
    private const int SqliteDbConfigNoCheckpointOnClose = 1006; // SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE
    private readonly SqliteConnection _connection;

    public StateStore(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
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
        Migrate();
    }

    private void Migrate()
    {
        if (Convert.ToInt32(Scalar("PRAGMA user_version")) == SchemaVersion) return;
        using var tx = Begin();
        var version = Convert.ToInt32(Scalar("PRAGMA user_version"));
        if (version < 1)
        {
            Execute("""
                CREATE TABLE instances(
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    level TEXT NOT NULL,
                    image TEXT NOT NULL,
                    command TEXT NOT NULL,
                    env TEXT NOT NULL,
                    workdir TEXT NOT NULL,
                    state TEXT NOT NULL,
                    pid INTEGER,
                    exit_code INTEGER,
                    auto_remove INTEGER NOT NULL,
                    created TEXT NOT NULL,
                    started TEXT,
                    finished TEXT);
                """);
        }
        Execute($"PRAGMA user_version={SchemaVersion}");
        tx.Commit();
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

using Kapsel.State;

namespace Kapsel.Engine.State;

/// <summary>The engine's tables in the shared state database (<see cref="StateDatabase"/>).</summary>
public static class EngineSchema
{
    public const string Component = "engine";
    public const int Version = 2;

    public static StateDatabase Open(string databasePath)
    {
        var db = new StateDatabase(databasePath);
        db.EnsureSchema(Component, Version, current =>
        {
            // IF NOT EXISTS: databases made before schema_versions existed already have it.
            if (current < 1)
                db.Execute("""
                    CREATE TABLE IF NOT EXISTS instances(
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
            // 2: detached instances (monitor, restart policy) and the run options as JSON.
            if (current < 2)
                db.Execute("""
                    ALTER TABLE instances ADD COLUMN config TEXT NOT NULL DEFAULT '{}';
                    ALTER TABLE instances ADD COLUMN monitor_pid INTEGER;
                    ALTER TABLE instances ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE instances ADD COLUMN restart_count INTEGER NOT NULL DEFAULT 0;
                    """);
        });
        return db;
    }
}

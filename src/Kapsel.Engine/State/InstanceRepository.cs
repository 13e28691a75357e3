using System.Text.Json;
using Kapsel.Engine.Instances;
using Kapsel.State;
using Microsoft.Data.Sqlite;

namespace Kapsel.Engine.State;

/// <summary>Instances in the state store.</summary>
public sealed class InstanceRepository(StateDatabase store)
{
    private const string Columns = "id, name, level, image, command, env, workdir, state, pid, exit_code, auto_remove, created, started, finished, config, monitor_pid, stop_requested, restart_count";

    /// <summary>Inserts a new instance; a taken name is a clear error, not a constraint exception.</summary>
    public void Add(Instance i)
    {
        using var tx = store.Begin();
        if (store.Scalar("SELECT id FROM instances WHERE name = $n", ("$n", i.Name)) is string other)
            throw new KapselException($"the name \"{i.Name}\" is already in use by instance {other[..12]}; remove it or choose another name");
        store.Execute($"INSERT INTO instances({Columns}) VALUES($id,$name,$level,$image,$cmd,$env,$wd,$state,$pid,$exit,$rm,$created,$started,$finished,$config,$monitor,$stopreq,$restarts)",
            Parameters(i));
        tx.Commit();
    }

    /// <summary>Writes the lifecycle fields (not the stop flag, which another process may have set meanwhile).</summary>
    public void Update(Instance i)
    {
        store.Execute("UPDATE instances SET state=$state, pid=$pid, exit_code=$exit, started=$started, finished=$finished, " +
            "monitor_pid=$monitor, restart_count=$restarts WHERE id=$id",
            Parameters(i));
    }

    /// <summary>Only the stop flag: written by `stop` while the monitor owns the other fields.</summary>
    public void SetStopRequested(string id, bool value) =>
        store.Execute("UPDATE instances SET stop_requested=$v WHERE id=$id", ("$id", id), ("$v", value ? 1 : 0));

    public Instance? Get(string id) => Query("WHERE id = $id", ("$id", id)).FirstOrDefault();

    public void Remove(string id) => store.Execute("DELETE FROM instances WHERE id = $id", ("$id", id));

    /// <summary>By exact name, full id, or unique id prefix (docker-style).</summary>
    public Instance? Find(string nameOrId)
    {
        var list = Query("WHERE name = $q OR id = $q", ("$q", nameOrId));
        if (list.Count == 0 && nameOrId.Length >= 3 && nameOrId.All(char.IsAsciiHexDigitLower))
            list = Query("WHERE id LIKE $p", ("$p", nameOrId + "%"));
        return list.Count switch
        {
            0 => null,
            1 => list[0],
            _ => throw new KapselException($"\"{nameOrId}\" matches {list.Count} instances; use more of the id"),
        };
    }

    public List<Instance> List() => Query("ORDER BY created DESC");

    private List<Instance> Query(string where, params (string, object?)[] parameters)
    {
        using var cmd = store.Command($"SELECT {Columns} FROM instances {where}", parameters);
        using var r = cmd.ExecuteReader();
        var result = new List<Instance>();
        while (r.Read()) result.Add(Read(r));
        return result;
    }

    private static Instance Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Level = Instance.ParseLevel(r.GetString(2)),
        Image = r.GetString(3),
        Command = JsonSerializer.Deserialize(r.GetString(4), EngineJsonContext.Default.ListString) ?? [],
        Env = JsonSerializer.Deserialize(r.GetString(5), EngineJsonContext.Default.ListString) ?? [],
        WorkingDir = r.GetString(6),
        State = Enum.Parse<InstanceState>(r.GetString(7), ignoreCase: true),
        Pid = r.IsDBNull(8) ? null : r.GetInt32(8),
        ExitCode = r.IsDBNull(9) ? null : r.GetInt32(9),
        AutoRemove = r.GetInt64(10) != 0,
        Created = DateTimeOffset.Parse(r.GetString(11)),
        Started = r.IsDBNull(12) ? null : DateTimeOffset.Parse(r.GetString(12)),
        Finished = r.IsDBNull(13) ? null : DateTimeOffset.Parse(r.GetString(13)),
        Config = JsonSerializer.Deserialize(r.GetString(14), EngineJsonContext.Default.InstanceConfig) ?? new(),
        MonitorPid = r.IsDBNull(15) ? null : r.GetInt32(15),
        StopRequested = r.GetInt64(16) != 0,
        RestartCount = r.GetInt32(17),
    };

    private static (string, object?)[] Parameters(Instance i) =>
    [
        ("$id", i.Id), ("$name", i.Name), ("$level", Instance.LevelName(i.Level)), ("$image", i.Image),
        ("$cmd", JsonSerializer.Serialize(i.Command, EngineJsonContext.Default.ListString)),
        ("$env", JsonSerializer.Serialize(i.Env, EngineJsonContext.Default.ListString)),
        ("$wd", i.WorkingDir), ("$state", i.State.ToString().ToLowerInvariant()), ("$pid", i.Pid), ("$exit", i.ExitCode),
        ("$rm", i.AutoRemove ? 1 : 0), ("$created", i.Created.ToString("O")), ("$started", i.Started?.ToString("O")),
        ("$finished", i.Finished?.ToString("O")),
        ("$config", JsonSerializer.Serialize(i.Config, EngineJsonContext.Default.InstanceConfig)),
        ("$monitor", i.MonitorPid), ("$stopreq", i.StopRequested ? 1 : 0), ("$restarts", i.RestartCount),
    ];
}

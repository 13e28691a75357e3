using Kapsel.Engine;
using Kapsel.Engine.Instances;
using Kapsel.Engine.State;
using Kapsel.State;

namespace Kapsel.Engine.Tests;

public sealed class StateStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kapsel-state-").FullName;
    private string Db => Path.Combine(_dir, "kapsel.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Instance NewInstance(string name) => new()
    {
        Id = InstanceNames.NewId(), Name = name, Level = InstanceLevel.Chroot, Image = "busybox:latest",
        Command = ["/bin/sh", "-c", "echo 'quoted \"x\"'"], Env = ["A=1"], State = InstanceState.Created, Created = DateTimeOffset.UtcNow,
    };

    [Fact]
    public void InstancesRoundTripAndFindByNameIdOrPrefix()
    {
        using var store = EngineSchema.Open(Db);
        var repo = new InstanceRepository(store);
        var i = NewInstance("web");
        repo.Add(i);
        i.State = InstanceState.Stopped;
        i.ExitCode = 3;
        i.Pid = 1234;
        i.Finished = DateTimeOffset.UtcNow;
        repo.Update(i);

        var byName = repo.Find("web")!;
        Assert.Equal(i.Id, byName.Id);
        Assert.Equal(InstanceState.Stopped, byName.State);
        Assert.Equal(3, byName.ExitCode);
        Assert.Equal(i.Command, byName.Command);
        Assert.Equal(i.Id, repo.Find(i.Id)!.Id);
        Assert.Equal(i.Id, repo.Find(i.Id[..12])!.Id);
        Assert.Null(repo.Find("nope"));
        repo.Remove(i.Id);
        Assert.Empty(repo.List());
    }

    [Fact]
    public void DuplicateNameIsAClearError()
    {
        using var store = EngineSchema.Open(Db);
        var repo = new InstanceRepository(store);
        repo.Add(NewInstance("dup"));
        var e = Assert.Throws<KapselException>(() => repo.Add(NewInstance("dup")));
        Assert.Contains("already in use", e.Message);
        Assert.Single(repo.List());
    }

    [Fact]
    public void ConcurrentWritersFromManyConnectionsLoseNothing()
    {
        EngineSchema.Open(Db).Dispose(); // schema
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, w =>
        {
            using var store = EngineSchema.Open(Db);
            var repo = new InstanceRepository(store);
            for (var n = 0; n < 25; n++) repo.Add(NewInstance($"w{w}-{n}"));
        });
        using var check = EngineSchema.Open(Db);
        Assert.Equal(200, new InstanceRepository(check).List().Count);
    }

    [Fact]
    public void WalIsKeptBetweenProcessesSoOpeningCostsNoFsync()
    {
        using (var store = EngineSchema.Open(Db)) new InstanceRepository(store).Add(NewInstance("a"));
        Assert.True(File.Exists(Db + "-wal"), "the WAL must survive close (no checkpoint on close)");
        using var again = EngineSchema.Open(Db);
        Assert.NotNull(new InstanceRepository(again).Find("a"));
    }
}

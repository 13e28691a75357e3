namespace Kapsel.Linux.Tests;

public sealed class RevertTests
{
    [Fact]
    public void UndoesInReverseOrderWhenNotCommitted()
    {
        var done = new List<string>();
        using (var revert = new Revert())
        {
            revert.Add("a", () => done.Add("a"));
            revert.Add("b", () => done.Add("b"));
        }
        Assert.Equal(["b", "a"], done);
    }

    [Fact]
    public void CommitKeepsEverything()
    {
        var done = new List<string>();
        using (var revert = new Revert())
        {
            revert.Add("a", () => done.Add("a"));
            revert.Commit();
        }
        Assert.Empty(done);
    }

    [Fact]
    public void AFailingUndoIsCollectedAndTheRestStillRun()
    {
        var done = new List<string>();
        var revert = new Revert();
        revert.Add("first", () => done.Add("first"));
        revert.Add("broken", () => throw new IOException("busy"));
        revert.Dispose();
        Assert.Equal(["first"], done);
        Assert.Equal(["cleanup (broken) failed: busy"], revert.Failures);
    }
}

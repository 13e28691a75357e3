using System.Text;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Linux.Tests.Cgroups;

/// <summary>
/// A real child process for cgroup tests. It blocks before execve until released, so the test
/// can move it into a cgroup first (or it starts in one through CLONE_INTO_CGROUP). Disposing
/// kills and reaps it.
/// </summary>
internal sealed class TestProcess : IDisposable
{
    private readonly SpawnedProcess _child;
    private int _release;
    private int _output;

    public int Pid => _child.Pid;

    private TestProcess(SpawnedProcess child, int release, int output)
    {
        _child = child;
        _release = release;
        _output = output;
    }

    public static TestProcess Start(string[] argv, int cgroupFd = -1, bool captureOutput = false)
    {
        var (releaseRead, releaseWrite) = FileCalls.Pipe();
        var (outputRead, outputWrite) = captureOutput ? FileCalls.Pipe() : (-1, -1);
        try
        {
            using var plan = new SpawnPlan { CgroupFd = cgroupFd };
            plan.OpenTo("/dev/null", FileCalls.O_RDONLY, 0, 0).OpenTo("/dev/null", FileCalls.O_WRONLY, 0, 2);
            plan.Dup(outputWrite >= 0 ? outputWrite : 2, 1);
            plan.WaitByte("wait for the test to release the child", releaseRead);
            plan.CloseOnExecFrom(3);
            plan.Execve(argv[0], argv, ["PATH=/usr/bin:/bin"]);
            var child = Spawner.Spawn(plan);
            return new TestProcess(child, releaseWrite, outputRead);
        }
        catch
        {
            FileCalls.Close(releaseWrite);
            FileCalls.Close(outputRead);
            throw;
        }
        finally
        {
            FileCalls.Close(releaseRead);
            FileCalls.Close(outputWrite);
        }
    }

    /// <summary>Lets the child exec its command and waits until it has.</summary>
    public TestProcess Release()
    {
        FileCalls.WriteAll(_release, "1"u8);
        FileCalls.Close(_release);
        _release = -1;
        _child.WaitForExec();
        return this;
    }

    /// <summary>Reads stdout to EOF (with captureOutput) and reaps the child.</summary>
    public (ExitStatus Status, string Output) WaitForExit()
    {
        var output = "";
        if (_output >= 0)
        {
            var buffer = new byte[65536];
            var n = FileCalls.ReadFull(_output, buffer);
            output = Encoding.UTF8.GetString(buffer, 0, n);
        }
        return (_child.Wait(), output);
    }

    public ExitStatus? TryWait() => _child.TryWait();

    public void Dispose()
    {
        FileCalls.Close(_release);
        FileCalls.Close(_output);
        if (_child.TryWait() is null)
        {
            _child.Signal(ProcessCalls.SIGKILL);
            _child.Wait();
        }
        _child.Dispose();
    }
}

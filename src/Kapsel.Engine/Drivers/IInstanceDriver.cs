using Kapsel.Engine.Instances;
using Kapsel.Images;
using Kapsel.Linux.Interop;

namespace Kapsel.Engine.Drivers;

/// <summary>
/// One isolation level. Everything above (CLI, REST API, compose, compare) talks to instances
/// only through this interface and never needs to know which level it has.
/// </summary>
public interface IInstanceDriver
{
    InstanceLevel Level { get; }

    /// <summary>What this level really separates from the host (shown by `kapsel compare`).</summary>
    IsolationProfile Isolation { get; }

    /// <summary>Creates the instance's host resources (its writable root, ...). Undone by <see cref="Delete"/>.</summary>
    void Create(Instance instance, LocalImage image);

    /// <summary>
    /// Starts the instance's main process with the given standard streams. <paramref name="beforeStart"/>
    /// runs once the instance's namespaces exist (given its init pid) and before its command runs —
    /// where the network is attached; what it returns is disposed by the driver if starting fails.
    /// </summary>
    IInstanceProcess Start(Instance instance, LocalImage image, InstanceStdio stdio, Func<int, IDisposable?>? beforeStart = null);

    /// <summary>
    /// After the main process exited: releases what only a running instance needs (runtime state,
    /// cgroup) and keeps its filesystem, so it can start again, be committed or inspected.
    /// </summary>
    void Stopped(Instance instance);

    /// <summary>Removes everything <see cref="Create"/> made. Safe to call on a half-created instance.</summary>
    void Delete(Instance instance);
}

/// <summary>A running main process of an instance.</summary>
public interface IInstanceProcess : IDisposable
{
    int Pid { get; }
    /// <summary>A pidfd of the process: readable (POLLIN) once it has exited.</summary>
    int PidFd { get; }
    void Signal(int signal);
    ExitStatus Wait();
}

/// <summary>
/// The fds an instance's process gets as 0, 1 and 2 (the caller's own by default), or, for a
/// terminal (-t), the unix socket its pty master is sent to (runc's console socket).
/// </summary>
public sealed record InstanceStdio(int Stdin = 0, int Stdout = 1, int Stderr = 2, string? ConsoleSocket = null);

/// <summary>Which host resources a level gives its own copy of.</summary>
public sealed record IsolationProfile(
    bool Filesystem, bool Processes, bool Network, bool Users, bool Ipc, bool Hostname, bool ResourceLimits, bool Kernel, string Summary);

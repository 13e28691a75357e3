using Kapsel.Linux.Fs;

namespace Kapsel.Engine.Drivers;

/// <summary>Finds an instance's command inside its root layers, with docker's 127/126 errors when it can't.</summary>
public static class ExecutableResolver
{
    public static string Resolve(IReadOnlyList<string> rootLayers, string command, IReadOnlyList<string> env)
    {
        var pathVar = env.LastOrDefault(e => e.StartsWith("PATH="))?[5..];
        var (path, result) = RootfsPaths.ResolveExecutable(rootLayers, command, pathVar);
        return result switch
        {
            RootfsPaths.Lookup.Executable => path!,
            RootfsPaths.Lookup.NotExecutable => throw new CommandNotRunnableException($"\"{command}\": permission denied: not an executable file", 126),
            _ when command.Contains('/') => throw new CommandNotRunnableException($"\"{command}\": no such file or directory", 127),
            _ => throw new CommandNotRunnableException($"\"{command}\": executable file not found in $PATH", 127),
        };
    }
}

/// <summary>The instance's command can't run: exit 127 (not found) or 126 (not executable), as docker/podman.</summary>
public sealed class CommandNotRunnableException(string message, int exitCode) : KapselException(message)
{
    public int ExitCode { get; } = exitCode;
}

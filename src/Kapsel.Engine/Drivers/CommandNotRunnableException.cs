namespace Kapsel.Engine.Drivers;

/// <summary>The instance's command can't run: exit 127 (not found) or 126 (not executable), as docker/podman.</summary>
public sealed class CommandNotRunnableException(string message, int exitCode) : KapselException(message)
{
    public int ExitCode { get; } = exitCode;
}

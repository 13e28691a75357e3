namespace Kapsel.Oci;

/// <summary>A user-facing runtime error: the message is printed (and logged) as is, the process exits non-zero.</summary>
public class OciException(string message, int exitCode = 1, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}

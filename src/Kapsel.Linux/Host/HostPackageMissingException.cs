namespace Kapsel.Linux.Host;

/// <summary>A host tool is absent and could not be installed (or could not be started): one line naming the tool, its package and why.</summary>
public sealed class HostPackageMissingException(string package, string binary, string reason)
    : Exception($"{binary} is missing (Debian package {package}) and {reason}")
{
    public string Package { get; } = package;
}

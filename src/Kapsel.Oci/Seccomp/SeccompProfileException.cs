namespace Kapsel.Oci.Seccomp;

/// <summary>An invalid seccomp profile; <see cref="Field"/> is the JSON path of the culprit, e.g. linux.seccomp.syscalls[3].action.</summary>
public sealed class SeccompProfileException(string field, string problem) : Exception($"{field}: {problem}")
{
    public string Field { get; } = field;
}

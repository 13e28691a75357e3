namespace Kapsel.Oci.Seccomp;

/// <summary>The argument comparisons of linux.seccomp.syscalls[].args[].op (all unsigned 64-bit).</summary>
public enum SeccompOperator
{
    NotEqual, LessThan, LessOrEqual, Equal, GreaterOrEqual, GreaterThan, MaskedEqual,
}

public static class SeccompOperators
{
    public static readonly IReadOnlyList<string> Names =
    [
        "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
    ];

    public static SeccompOperator Parse(string name, string field) => name switch
    {
        "SCMP_CMP_NE" => SeccompOperator.NotEqual,
        "SCMP_CMP_LT" => SeccompOperator.LessThan,
        "SCMP_CMP_LE" => SeccompOperator.LessOrEqual,
        "SCMP_CMP_EQ" => SeccompOperator.Equal,
        "SCMP_CMP_GE" => SeccompOperator.GreaterOrEqual,
        "SCMP_CMP_GT" => SeccompOperator.GreaterThan,
        "SCMP_CMP_MASKED_EQ" => SeccompOperator.MaskedEqual,
        _ => throw new SeccompProfileException(field, $"unknown operator \"{name}\""),
    };
}

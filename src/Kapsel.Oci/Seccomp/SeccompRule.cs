namespace Kapsel.Oci.Seccomp;

/// <summary>One argument comparison, already validated.</summary>
internal sealed record SeccompCondition(int Index, SeccompOperator Op, ulong Value, ulong ValueTwo);

/// <summary>
/// A validated rule: its action applies when every condition holds (conditions on different arguments
/// are ANDed; an empty list always holds).
/// </summary>
internal sealed record SeccompRule(IReadOnlyList<SeccompCondition> Conditions, SeccompAction Action)
{
    public bool IsConditional => Conditions.Count > 0;
}

/// <summary>
/// What the filter does for one syscall number: the conditional rules in profile order (the first that
/// holds decides), else <see cref="Fallback"/>.
/// </summary>
internal sealed class SyscallPolicy(string name)
{
    public string Name { get; } = name;
    public List<SeccompRule> Conditional { get; } = [];
    public SeccompAction? Unconditional { get; set; }

    public uint Fallback(SeccompAction defaultAction) => (Unconditional ?? defaultAction).ReturnValue;

    /// <summary>Drops conditional rules at the end that decide the same as the fallback anyway.</summary>
    public void Trim(SeccompAction defaultAction)
    {
        while (Conditional.Count > 0 && Conditional[^1].Action.ReturnValue == Fallback(defaultAction))
            Conditional.RemoveAt(Conditional.Count - 1);
    }

    /// <summary>True when the syscall needs no code: it always gets the default action.</summary>
    public bool IsDefault(SeccompAction defaultAction) =>
        Conditional.Count == 0 && Fallback(defaultAction) == defaultAction.ReturnValue;
}

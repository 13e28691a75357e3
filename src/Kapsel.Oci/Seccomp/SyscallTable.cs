namespace Kapsel.Oci.Seccomp;

/// <summary>
/// The syscall names and numbers of one ABI, as the kernel sees them in seccomp_data.nr
/// (x32 numbers include the 0x40000000 x32 bit).
/// </summary>
internal sealed class SyscallTable
{
    private readonly Dictionary<string, uint> _numbers = new(StringComparer.Ordinal);
    private readonly uint _offset;
    private readonly (string Name, int Number)[] _entries;
    private Dictionary<uint, string>? _names; // only the disassembler asks: built on first use

    /// <summary>"64", "32" or "x32".</summary>
    public string Abi { get; }

    public SyscallTable(string abi, uint offset, (string Name, int Number)[] entries)
    {
        Abi = abi;
        _offset = offset;
        _entries = entries;
        _numbers.EnsureCapacity(entries.Length);
        foreach (var (name, number) in entries) _numbers[name] = offset + (uint)number;
    }

    public bool TryGetNumber(string name, out uint nr) => _numbers.TryGetValue(name, out nr);

    public string? NameOf(uint nr)
    {
        if (_names is null)
        {
            var names = new Dictionary<uint, string>(_entries.Length);
            foreach (var (name, number) in _entries) names.TryAdd(_offset + (uint)number, name);
            _names = names;
        }
        return _names.GetValueOrDefault(nr);
    }

    public IEnumerable<string> Names => _numbers.Keys;
}

/// <summary>The x86 family's tables; a name is "known" when any of them has it.</summary>
internal static partial class SyscallTables
{
    public static bool IsKnown(string name) =>
        X86_64.TryGetNumber(name, out _) || I386.TryGetNumber(name, out _) || X32.TryGetNumber(name, out _);
}

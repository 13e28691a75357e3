namespace Kapsel.Linux.Netlink;

/// <summary>Names a link by interface name or by index; converts implicitly from either.</summary>
public readonly record struct LinkSelector
{
    public string? Name { get; }
    public int Index { get; }

    private LinkSelector(string? name, int index)
    {
        if (name is null && index <= 0) throw new ArgumentException("a link needs a name or a positive index");
        if (name is not null && (name.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(name) > 15))
            throw new ArgumentException($"interface name \"{name}\" must be 1 to 15 bytes");
        Name = name;
        Index = index;
    }

    public static LinkSelector ByName(string name) => new(name ?? throw new ArgumentNullException(nameof(name)), 0);
    public static LinkSelector ByIndex(int index) => new(null, index);

    public static implicit operator LinkSelector(string name) => ByName(name);
    public static implicit operator LinkSelector(int index) => ByIndex(index);

    public override string ToString() => Name is not null ? $"\"{Name}\"" : $"#{Index}";
}

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// One device access rule: Type 'a' (all), 'c' or 'b'; Major/Minor null for any; Access a subset
/// of "rwm". Rules apply in order and the last matching one wins; with no match access is allowed
/// (a fresh cgroup's default), so a list normally starts with a deny-all rule.
/// </summary>
public sealed record DeviceRule(bool Allow, char Type = 'a', long? Major = null, long? Minor = null, string Access = "rwm")
{
    public static readonly DeviceRule DenyAll = new(false);
    public static readonly DeviceRule AllowAll = new(true);

    /// <summary>The v1 devices.allow/deny syntax: "c 1:3 rwm", "a *:* rwm".</summary>
    public string ToV1String()
    {
        var major = Major is { } ma and >= 0 ? ma.ToString() : "*";
        var minor = Minor is { } mi and >= 0 ? mi.ToString() : "*";
        return $"{Type} {major}:{minor} {Access}";
    }

    public bool MatchesAnyDevice => Type == 'a' && Major is null or < 0 && Minor is null or < 0;

    internal void Validate()
    {
        if (Type is not ('a' or 'b' or 'c'))
            throw new ArgumentException($"device rule type '{Type}' is not one of a, b, c");
        if (Access.Length == 0 || Access.Any(c => c is not ('r' or 'w' or 'm')))
            throw new ArgumentException($"device rule access \"{Access}\" is not a subset of \"rwm\"");
    }
}

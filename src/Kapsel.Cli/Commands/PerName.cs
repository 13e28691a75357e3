using Kapsel.Engine;
using Kapsel.Images;
using Kapsel.Network.Networks;

namespace Kapsel.Cli.Commands;

/// <summary>
/// The exit-code convention of verbs that take several names (docker's and podman's: `rm`,
/// `inspect`, `stop`, `rmi`, `volume rm`, `network inspect`...): each name is handled on its own,
/// a name that fails (not found, in use) is one line on stderr and the others still happen, and
/// the exit code is 1 if any name failed. 125 stays for failures of the command as a whole
/// (bad usage, a broken store), and every single-object verb (`exec`, `logs`, `cp`, `tag`...)
/// fails with 125. The README states it for users.
/// </summary>
public static class PerName
{
    public const int SomeFailed = 1;

    /// <summary>Runs <paramref name="action"/> for each name; 0, or <see cref="SomeFailed"/>.</summary>
    public static int Each(IReadOnlyList<string> names, Action<string> action)
    {
        var failed = 0;
        foreach (var name in names)
        {
            try { action(name); }
            catch (Exception e) when (IsFailureOfOneName(e))
            {
                Console.Error.WriteLine($"kapsel: {e.Message}");
                failed++;
            }
        }
        return failed == 0 ? 0 : SomeFailed;
    }

    /// <summary>Looks up every name (for `inspect`-style output of those found); the exit code as <see cref="Each"/>.</summary>
    public static (List<T> Found, int ExitCode) Collect<T>(IReadOnlyList<string> names, Func<string, T> lookup)
    {
        var found = new List<T>();
        var exit = Each(names, n => found.Add(lookup(n)));
        return (found, exit);
    }

    private static bool IsFailureOfOneName(Exception e) => e is KapselException or ImageException or NetworkException;
}

namespace Kapsel.Linux;

/// <summary>
/// An undo stack for multi-step operations: each step that creates something registers how to
/// remove it; on failure (dispose without <see cref="Commit"/>) the undos run in reverse order,
/// so a failed create leaves the host as it was. Undo failures are collected, never thrown over
/// the original error.
/// </summary>
public sealed class Revert : IDisposable
{
    private readonly Stack<(string What, Action Undo)> _undos = new();
    private bool _committed;

    public List<string> Failures { get; } = [];

    public void Add(string what, Action undo) => _undos.Push((what, undo));

    public void Commit() => _committed = true;

    public void Dispose()
    {
        if (_committed) return;
        while (_undos.TryPop(out var u))
        {
            try { u.Undo(); }
            catch (Exception e) { Failures.Add($"cleanup ({u.What}) failed: {e.Message}"); }
        }
    }
}

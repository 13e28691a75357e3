namespace Kapsel.Linux.Cgroups;

/// <summary>Polling for a kernel state change (freezing), with a deadline.</summary>
internal static class CgroupWaiting
{
    public static readonly TimeSpan FreezeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Polls <paramref name="done"/> with a short, growing delay; false on timeout.</summary>
    public static bool Until(Func<bool> done, TimeSpan timeout, Action? everyTenthTry = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delayMs = 1;
        for (var attempt = 1; ; attempt++)
        {
            if (done()) return true;
            if (DateTime.UtcNow >= deadline) return false;
            if (attempt % 10 == 0) everyTenthTry?.Invoke();
            Thread.Sleep(delayMs);
            delayMs = Math.Min(delayMs * 2, 20);
        }
    }
}

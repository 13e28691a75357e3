using System.Diagnostics;

namespace Kapsel.Engine;

/// <summary>
/// Phase timings on stderr when KAPSEL_TRACE is set: where the milliseconds of a command go
/// (used when tuning start-up cost against crun/chroot; off by default and free when off).
/// </summary>
public static class Trace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("KAPSEL_TRACE") is { Length: > 0 };
    private static readonly long Start = Stopwatch.GetTimestamp();

    public static void Mark(string phase)
    {
        if (Enabled) Console.Error.WriteLine($"[trace] {Stopwatch.GetElapsedTime(Start).TotalMilliseconds,8:0.00} ms  {phase}");
    }
}

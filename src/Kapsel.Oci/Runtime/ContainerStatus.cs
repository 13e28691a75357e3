using Kapsel.Linux.Cgroups;

namespace Kapsel.Oci.Runtime;

public enum ContainerStatus { Creating, Created, Running, Paused, Stopped }

/// <summary>Derives a container's live status: never stored, always observed.</summary>
public static class LiveStatus
{
    public static string Name(ContainerStatus s) => s switch
    {
        ContainerStatus.Creating => "creating",
        ContainerStatus.Created => "created",
        ContainerStatus.Running => "running",
        ContainerStatus.Paused => "paused",
        _ => "stopped",
    };

    public static ContainerStatus Of(StateStore store, PersistedState state)
    {
        if (state.Pid <= 0) return ContainerStatus.Creating;
        if (state.Stopped || !ProcessInfo.IsSame(state.Pid, state.PidStartTime)) return ContainerStatus.Stopped;
        if (File.Exists(Path.Combine(store.DirOf(state.Id), StateStore.FifoName))) return ContainerStatus.Created;
        if (state.CgroupPaths is { Count: > 0 } paths)
        {
            try
            {
                if (Cgroup.Open(paths).FreezerState != CgroupFreezerState.Thawed) return ContainerStatus.Paused;
            }
            catch (Exception) { /* cgroup gone: not paused */ }
        }
        return ContainerStatus.Running;
    }
}

/// <summary>/proc/PID/stat facts: start time (to tell a pid from a later reuse) and zombie state.</summary>
public static class ProcessInfo
{
    /// <summary>Field 22 (starttime) and field 3 (state) of /proc/PID/stat, or null if the process is gone.</summary>
    public static (ulong StartTime, char State)? Read(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // comm (field 2) may contain spaces and parentheses: parse after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0) return null;
        var fields = text[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); starttime is field 22 → index 19.
        return fields.Length > 19 && ulong.TryParse(fields[19], out var start) ? (start, fields[0][0]) : null;
    }

    public static bool IsSame(int pid, ulong startTime) =>
        Read(pid) is { } info && info.StartTime == startTime && info.State is not ('Z' or 'X');
}

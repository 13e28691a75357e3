namespace Kapsel.Images;

/// <summary>
/// What an image says about the process to run (the image config's Entrypoint, Cmd, Env,
/// WorkingDir, User, Volumes, StopSignal), combined with a `run` request per the image spec's
/// conversion rules.
/// </summary>
public sealed record ImageDefaults(
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Cmd,
    IReadOnlyList<string> Env,
    string? WorkingDir,
    string? User,
    IReadOnlyList<string>? Volumes = null,
    string? StopSignal = null)
{
    public static readonly ImageDefaults Shell = new([], ["/bin/sh"], ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], null, null);

    /// <summary>Docker's rule: arguments given to `run` replace Cmd; Entrypoint stays in front.</summary>
    public List<string> Command(IReadOnlyList<string> requested) =>
        [.. Entrypoint, .. requested.Count > 0 ? requested : Cmd];
}

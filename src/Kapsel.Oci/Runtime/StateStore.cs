using System.Text.Json;
using System.Text.RegularExpressions;
using Kapsel.Linux;
using Kapsel.Linux.Fs;
using Kapsel.Linux.Interop;
using Kapsel.Oci.Interop;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// Container state under --root: one directory per id with state.json (written atomically via
/// rename), the exec fifo while the container is "created", and a lock file (flock) so that
/// concurrent runtime processes serialise their changes to one container.
/// </summary>
public sealed partial class StateStore(string root)
{
    public const string FifoName = "exec.fifo";
    public const string StateName = "state.json";
    public const string ConfigName = "config.json";
    private const string LockName = ".lock";
    /// <summary>The state JSON for hooks the container's init runs itself (createContainer, startContainer), and their output.</summary>
    public const string CreatingStateName = "hook-state-creating.json", CreatedStateName = "hook-state-created.json", HookLogName = "hooks.log";

    public string Root { get; } = root;

    public string DirOf(string id) => Path.Combine(Root, id);

    public static void CheckId(string id)
    {
        if (string.IsNullOrEmpty(id)) throw new OciException("container id cannot be empty");
        if (!IdPattern().IsMatch(id) || id is "." or "..") throw new OciException($"invalid container id \"{id}\": use letters, digits, '_', '+', '-' and '.'");
    }

    public bool Exists(string id) => File.Exists(Path.Combine(DirOf(id), StateName));

    /// <summary>Creates the container's directory; fails if the id is in use.</summary>
    public string CreateDir(string id)
    {
        CheckId(id);
        Directory.CreateDirectory(Root);
        OciCalls.Chmod(Root, 0x1c0 /* 0700 */);
        var dir = DirOf(id);
        try { Directory.CreateDirectory(dir); }
        catch (IOException e) { throw new OciException($"cannot create state directory {dir}: {e.Message}"); }
        if (Directory.EnumerateFileSystemEntries(dir).Any(e => Path.GetFileName(e) != LockName) || File.Exists(Path.Combine(dir, StateName)))
            throw new OciException($"container with id \"{id}\" already exists");
        // 0711: a container process running as an unprivileged (or user-namespaced) uid must still reach the fifo.
        OciCalls.Chmod(dir, 0x1c9);
        return dir;
    }

    /// <summary>An exclusive lock on one container, held until disposed.</summary>
    public LockFile Lock(string id)
    {
        CheckId(id);
        var dir = DirOf(id);
        if (!Directory.Exists(dir)) throw new OciException($"container \"{id}\" does not exist");
        return LockFile.Exclusive(Path.Combine(dir, LockName));
    }

    public void Save(PersistedState state)
    {
        var dir = DirOf(state.Id);
        var tmp = Path.Combine(dir, StateName + ".tmp");
        File.WriteAllText(tmp, JsonSerializer.Serialize(state, OciJsonContext.Default.PersistedState));
        File.Move(tmp, Path.Combine(dir, StateName), overwrite: true);
    }

    public PersistedState Load(string id)
    {
        CheckId(id);
        var path = Path.Combine(DirOf(id), StateName);
        if (!File.Exists(path)) throw new OciException($"container \"{id}\" does not exist");
        try { return JsonSerializer.Deserialize(File.ReadAllText(path), OciJsonContext.Default.PersistedState) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new OciException($"state of container \"{id}\" is corrupt ({path}): {e.Message}"); }
    }

    public void SaveConfig(string id, string configJson) => File.WriteAllText(Path.Combine(DirOf(id), ConfigName), configJson);

    public RuntimeSpec? LoadConfig(string id)
    {
        var path = Path.Combine(DirOf(id), ConfigName);
        return File.Exists(path) ? SpecLoader.LoadFile(path, null, "saved config.json") : null;
    }

    public IEnumerable<string> Ids() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).Where(n => n is not null && File.Exists(Path.Combine(Root, n, StateName))).Order()!
            : [];

    public void Remove(string id)
    {
        var dir = DirOf(id);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    [GeneratedRegex(@"^[\w+\-.]+$")]
    private static partial Regex IdPattern();
}


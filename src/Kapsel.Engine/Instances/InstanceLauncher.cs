using Kapsel.Engine.Drivers;
using Kapsel.Engine.Networking;
using Kapsel.Images;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Engine.Instances;

/// <summary>
/// The two halves every way of running an instance shares (foreground `run`, the monitor of a
/// detached one, `start`): <see cref="Prepare"/> records and creates an instance from a request,
/// <see cref="Launch"/> starts its main process with the network attached.
/// </summary>
public sealed class InstanceLauncher(KapselEngine engine)
{
    private static readonly string[] DefaultEnv =
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];

    /// <summary>The kernel's execve limits (MAX_ARG_STRLEN per string, ~ARG_MAX in all), checked before anything is made.</summary>
    private static void CheckExecLimits(IReadOnlyList<string> command, IReadOnlyList<string> env)
    {
        const int maxString = 128 * 1024, maxTotal = 2 * 1024 * 1024;
        long total = 0;
        foreach (var (s, what) in command.Select(c => (c, "argument")).Concat(env.Select(e => (e, "environment variable"))))
        {
            var bytes = System.Text.Encoding.UTF8.GetByteCount(s) + 1;
            if (bytes > maxString)
                throw new KapselException($"{what} \"{Linux.ErrorText.Value(s, 40)}\" is {bytes} bytes: the kernel allows {maxString} per string");
            if (s.Contains('\0')) throw new KapselException($"{what} \"{Linux.ErrorText.Value(s, 40)}\" contains a NUL byte");
            total += bytes;
        }
        if (total > maxTotal) throw new KapselException($"arguments and environment take {total} bytes: the kernel allows about {maxTotal}");
    }

    /// <summary>Validates the request, resolves (pulls) the image, records the instance and creates its host resources; undone on failure.</summary>
    public (Instance Instance, LocalImage Image) Prepare(RunRequest request, Action<string>? progress = null)
    {
        if (ProcessCalls.GetEuid() != 0)
            throw new KapselException($"the {Instance.LevelName(request.Level)} level needs root: run kapsel as root (or with sudo)");
        if (request.Name is { } n && !InstanceNames.IsValid(n))
            throw new KapselException($"invalid instance name \"{n}\": use letters, digits, '_', '.', '-', starting with a letter or digit");
        Validate(request);

        Trace.Mark("run: start");
        var driver = engine.Driver(request.Level);
        var image = request.ResolvedImage ?? engine.Images.Resolve(request.Image, progress);
        Trace.Mark("image resolved");
        var defaults = image.Defaults;
        var config = request.Config;
        config.User = request.User is { Length: > 0 } ru ? ru : config.User ?? (defaults.User is { Length: > 0 } u ? u : null);
        ContainerUser.CheckSpec(request.User, "--user");
        ContainerUser.CheckSpec(config.User, $"image {image.DisplayName}: User");
        var entrypoint = request.Entrypoint ?? defaults.Entrypoint;
        // The image's StopSignal and Volumes (an anonymous volume per path no -v/--mount covers), as Docker applies them.
        config.StopSignal ??= defaults.StopSignal;
        if (request.Level != InstanceLevel.Chroot)
            foreach (var path in defaults.Volumes ?? [])
                if (path.StartsWith('/') && !config.Mounts.Any(m => m.Destination.TrimEnd('/') == path.TrimEnd('/')))
                    config.Mounts.Add(new MountRequest { Type = "volume", Destination = path, Anonymous = true });
        var instance = new Instance
        {
            Id = InstanceNames.NewId(),
            Name = request.Name ?? InstanceNames.Generate(),
            Level = request.Level,
            Image = image.DisplayName,
            Command = [.. entrypoint, .. request.Command.Count > 0 || request.Entrypoint is not null ? request.Command : defaults.Cmd],
            Env = BuildEnv(defaults.Env, request.Env, config.Tty),
            WorkingDir = request.WorkingDir ?? defaults.WorkingDir ?? "/",
            State = InstanceState.Created,
            AutoRemove = request.AutoRemove,
            Created = DateTimeOffset.UtcNow,
            Config = config,
        };
        CheckExecLimits(instance.Command, instance.Env);
        if (instance.Command.Count == 0)
            throw new KapselException($"no command: image {image.DisplayName} has neither Entrypoint nor Cmd, and none was given");
        if (config.Hostname is null && config.Network == "host") config.Hostname = Environment.MachineName; // as Docker does
        if (request.Level == InstanceLevel.Chroot && !instance.Env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal)))
            instance.Env.Add("HOME=/root"); // container levels take HOME from the user's passwd entry
        foreach (var m in config.Mounts.Where(m => m.Type == "volume" && m.Anonymous && m.Source is null))
            m.Source = engine.Volumes.CreateAnonymous();

        var repo = engine.Instances;
        repo.Add(instance);
        Trace.Mark("instance recorded");
        try
        {
            driver.Create(instance, image);
            Trace.Mark("instance created");
        }
        catch
        {
            driver.Delete(instance);
            RemoveAnonymousVolumes(instance);
            repo.Remove(instance.Id);
            throw;
        }
        return (instance, image);
    }

    /// <summary>Options a level cannot honour are refused up front, before anything is made.</summary>
    private static void Validate(RunRequest request)
    {
        var c = request.Config;
        if (request.Level == InstanceLevel.Chroot)
        {
            if (c.Network is not (null or "host") || c.Ports.Count > 0)
                throw new KapselException("the chroot level shares the host's network: --network and -p are not available (use --level app)");
            if (c.Mounts.Count > 0 || c.MemoryBytes is not null || c.Cpus is not null || c.PidsLimit is not null || c.User is not null || c.Tty)
                throw new KapselException("the chroot level has no mounts, limits, users or terminals of its own: use --level app");
        }
        if (c.Network is "host" or "none" && c.Ports.Count > 0)
            throw new KapselException($"-p needs a network: it cannot be used with --network {c.Network}");
        foreach (var p in c.Ports) Network.Ports.PortMapping.Parse(p); // clear errors before anything exists
    }

    /// <summary>
    /// Starts the instance's main process; for container levels its network (veth, address, ports,
    /// DNS) is attached between create and start, and released when the process is disposed.
    /// </summary>
    public IInstanceProcess Launch(Instance instance, LocalImage image, InstanceStdio stdio, Action<string>? warn = null)
    {
        var driver = engine.Driver(instance.Level);
        try
        {
            return driver.Start(instance, image, stdio, instance.Level == InstanceLevel.Chroot ? null
                : pid => InstanceNetworkSession.Open(engine.Networks, instance, pid, engine.Paths.InstanceDir(instance.Id), warn));
        }
        catch (SpawnException e) when (e.AtExec)
        {
            throw new CommandNotRunnableException($"\"{instance.Command[0]}\": {Linux.Errnos.Describe(e.Errno)}", e.ShellExitCode);
        }
    }

    /// <summary>Removes an instance's host resources, its anonymous volumes and its record.</summary>
    public void Remove(Instance instance)
    {
        engine.Driver(instance.Level).Delete(instance);
        RemoveAnonymousVolumes(instance);
        engine.Instances.Remove(instance.Id);
    }

    private void RemoveAnonymousVolumes(Instance instance)
    {
        foreach (var m in instance.Config.Mounts.Where(m => m.Anonymous && m.Source is not null && engine.Volumes.Exists(m.Source)))
            ImageStore.DeleteTree(Path.GetDirectoryName(engine.Volumes.DataPath(m.Source!))!);
    }

    /// <summary>Defaults, then the image's Env, then TERM for a terminal, then -e values: later wins.</summary>
    private static List<string> BuildEnv(IReadOnlyList<string> imageEnv, IReadOnlyList<string>? requested, bool tty)
    {
        var env = new List<string>(DefaultEnv);
        var extra = new List<string>(imageEnv);
        if (tty) extra.Add($"TERM={Environment.GetEnvironmentVariable("TERM") ?? "xterm"}");
        foreach (var e in extra.Concat(requested ?? []))
        {
            var key = e.Split('=', 2)[0];
            env.RemoveAll(x => x.Split('=', 2)[0] == key);
            env.Add(e);
        }
        return env;
    }
}

using Kapsel.Engine.Drivers;
using Kapsel.Engine.Instances;
using Kapsel.Images;
using Kapsel.Images.Build;
using Kapsel.Images.Layers;
using Kapsel.Images.Layout;
using Kapsel.Images.References;
using Kapsel.Linux.Interop;

namespace Kapsel.Engine.Build;

/// <summary>
/// `kapsel build`: runs a Containerfile step by step. FROM starts a stage from scratch, an image
/// (built-in ones become a base layer) or an earlier stage; RUN executes in a real app-level
/// instance whose overlay upper dir becomes the step's layer; COPY/ADD lay their files out in
/// a staging directory that becomes the layer; the other instructions change the config. Each
/// step's result is a stored (untagged) image, and the cache maps (parent image, instruction,
/// copied content) to it, so an unchanged step is skipped. Everything temporary — instances,
/// mounts, staging dirs — is removed whether the build succeeds or fails.
/// </summary>
public sealed class ImageBuilder(KapselEngine engine, TextWriter output)
{
    private readonly ImageStore _images = engine.Images;
    private OciLayout Layout => _images.Oci.Layout;
    private LayerStore Layers => _images.Oci.Layers;
    private BuildCache Cache => field ??= new BuildCache(Path.Combine(engine.Paths.Images, "build-cache"));
    private BaseImages Bases => field ??= new BaseImages(_images, Cache);

    private readonly List<string> _mounts = [];
    private string _tempDir = "";
    private Containerfile _file = null!;
    private int _tempCounter;
    private volatile bool _interrupted;
    private volatile string? _runningInstance;

    public BuildResult Build(BuildOptions o)
    {
        var context = Path.GetFullPath(o.ContextDir);
        if (!Directory.Exists(context)) throw new KapselException($"build context \"{o.ContextDir}\" is not a directory");
        var cfPath = o.Containerfile is { } f ? Path.GetFullPath(f)
            : new[] { "Containerfile", "Dockerfile" }.Select(n => Path.Combine(context, n)).FirstOrDefault(File.Exists)
              ?? throw new KapselException($"no Containerfile or Dockerfile in {context} (use -f FILE)");
        if (!File.Exists(cfPath)) throw new KapselException($"Containerfile \"{cfPath}\" not found");
        _file = ContainerfileParser.ParseFile(cfPath);
        var tags = (o.Tags ?? []).Select(t => ImageName.Parse(t)).ToList();
        var filter = ContextFilter.Load(context, cfPath);
        var buildArgs = o.BuildArgs ?? new Dictionary<string, string>();

        var globalArgs = new Dictionary<string, string?>();
        foreach (var a in _file.GlobalArgs)
            foreach (var (k, v) in Words(_ => null).Pairs(a.Arguments, legacyForm: false, valueOptional: true))
                globalArgs[k] = buildArgs.TryGetValue(k, out var given) ? given : v;

        var stages = new List<BuildStage>();
        var total = _file.Instructions.Count;
        int step = 0, cached = 0;
        _tempDir = Path.Combine(engine.Paths.Images, "build-tmp", InstanceNames.NewId()[..16]);
        Directory.CreateDirectory(_tempDir);
        // Ctrl-C / SIGTERM: stop the RUN in progress and unwind through the finally below, so an
        // interrupted build leaves nothing behind either.
        var signals = new[] { System.Runtime.InteropServices.PosixSignal.SIGINT, System.Runtime.InteropServices.PosixSignal.SIGTERM }
            .Select(sig => System.Runtime.InteropServices.PosixSignalRegistration.Create(sig, Interrupt)).ToList();
        try
        {
            BuildStage? stage = null;
            foreach (var x in _file.Instructions)
            {
                step++;
                if (_interrupted) throw new KapselException("build interrupted");
                if (x.Keyword == "FROM" && stage is not null && o.Target is not null && stage.Name == o.Target) { step--; break; }
                Say($"STEP {step}/{total}: {x.Text}");
                try
                {
                    if (x.Keyword == "FROM")
                    {
                        stage = From(x, stages, globalArgs);
                        stages.Add(stage);
                        Say($"---> {Id(stage.State)}");
                        continue;
                    }
                    if (x.Keyword == "ARG")
                    {
                        foreach (var (k, v) in Words(Lookup(stage!)).Pairs(x.Arguments, legacyForm: false, valueOptional: true))
                            stage!.Args[k] = buildArgs.TryGetValue(k, out var given) ? given : v ?? (globalArgs.TryGetValue(k, out var g) ? g : null);
                        continue;
                    }
                    if (x.Keyword == "CMD") stage!.CmdSet = true;
                    if (Step(stage!, x, stages, context, filter, o.NoCache)) cached++;
                }
                catch (Exception e) when (e is ImageException or KapselException or CommandNotRunnableException or Linux.SyscallException
                                              or IOException or UnauthorizedAccessException && e is not ContainerfileException)
                {
                    throw new ContainerfileException(_file.FileName, x.Line, e.Message);
                }
            }
            if (o.Target is not null && stages.All(s => s.Name != o.Target))
                throw new KapselException($"target stage \"{o.Target}\" not found in {_file.FileName}");
            var final = (o.Target is null ? stages[^1] : stages.First(s => s.Name == o.Target)).State;
            foreach (var name in tags)
            {
                Layout.Tag(name.ToString(), final.Manifest);
                Say($"Successfully tagged {name.Familiar}");
            }
            if (tags.Count == 0) Layout.AddUntagged(final.Manifest); // kept (like docker's <none> images) until pruned
            var id = final.Manifest is var m ? OciJson.ParseManifest(Layout.Blobs.ReadAllBytes(m.Digest)).Config.Digest : default;
            return new BuildResult(final, id, step, cached);
        }
        finally
        {
            signals.ForEach(r => r.Dispose());
            foreach (var mount in _mounts) MountCalls.TryUmount(mount, MountCalls.MNT_DETACH);
            ImageStore.DeleteTree(_tempDir);
            var parent = Path.GetDirectoryName(_tempDir)!;
            if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any()) Directory.Delete(parent);
        }
    }

    private void Interrupt(System.Runtime.InteropServices.PosixSignalContext ctx)
    {
        ctx.Cancel = true;
        _interrupted = true;
        if (_runningInstance is { } name && engine.Instances.Find(name)?.Pid is { } pid)
            ProcessCalls.Kill(pid, ProcessCalls.SIGKILL);
    }

    private void Say(string line) => output.WriteLine(line);

    private string Id(ImageState s) => OciJson.ParseManifest(Layout.Blobs.ReadAllBytes(s.Manifest.Digest)).Config.Digest.Short;

    private ShellWords Words(Func<string, string?> lookup) => new(lookup, _file.Escape);

    private static Func<string, string?> Lookup(BuildStage s) => ConfigInstructions.Lookup(s.State.Config, s.Args);

    private BuildStage From(Instruction x, List<BuildStage> stages, Dictionary<string, string?> globalArgs)
    {
        var words = Words(n => globalArgs.TryGetValue(n, out var v) ? v : null).Words(x.Arguments);
        string? name = null;
        if (words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase)) name = words[2].ToLowerInvariant();
        else if (words.Count != 1) throw new ImageException("FROM takes IMAGE [AS NAME]");
        if (name is not null && stages.Any(s => s.Name == name)) throw new ImageException($"duplicate stage name \"{name}\"");
        var image = words[0];
        var platform = x.Flag("platform") is { } p ? PlatformSpec.Parse(p) : (PlatformSpec?)null;
        var previous = FindStage(stages, image);
        var state = previous?.State ?? Bases.Resolve(image, null, platform);
        var stage = new BuildStage(stages.Count, name, state);
        if (state.Config.Config?.OnBuild is { Count: > 0 } triggers)
            Say($"warning: {image} has ONBUILD triggers ({string.Join("; ", triggers)}); they are recorded but not run");
        return stage;
    }

    private static BuildStage? FindStage(List<BuildStage> stages, string reference) =>
        stages.FirstOrDefault(s => s.Name == reference.ToLowerInvariant())
        ?? (int.TryParse(reference, out var i) && i >= 0 && i < stages.Count ? stages[i] : null);

    /// <summary>Runs one non-FROM, non-ARG step (or takes it from the cache). True when cached.</summary>
    private bool Step(BuildStage stage, Instruction x, List<BuildStage> stages, string context, ContextFilter filter, bool noCache)
    {
        RefuseUnsupportedFlags(x);
        var args = string.Join("\n", stage.ArgEnv());
        CopyPlan? plan = null;
        var extra = args;
        if (x.Keyword is "COPY" or "ADD")
        {
            plan = PlanCopy(stage, x, stages, context, filter);
            extra += "\n" + plan.Hash();
        }
        var key = BuildCache.Key(stage.State.Manifest.DigestText, x.Keyword + " " + string.Join(' ', x.Flags.Select(f => $"--{f.Key}={f.Value}")) + " " + (x.Json is { } j ? string.Join('\0', j) : x.Arguments), extra);
        if (!noCache && Cache.Get(Layout, key) is { } hit)
        {
            stage.State = hit;
            Say("---> Using cache");
            Say($"---> {Id(hit)}");
            return true;
        }
        stage.State = x.Keyword switch
        {
            "RUN" => Run(stage, x),
            "COPY" or "ADD" => LayerFromStaging(stage, x, plan!.Stage),
            "WORKDIR" => Workdir(stage, x),
            _ when ConfigInstructions.Handles(x.Keyword) => ConfigOnly(stage, x),
            _ => throw new ImageException($"{x.Keyword} is not supported"),
        };
        Cache.Put(key, stage.State, x.Text);
        Say($"---> {Id(stage.State)}");
        return false;
    }

    /// <summary>
    /// Flags the parser knows but this builder does not implement are refused rather than ignored
    /// (a silently ignored --mount or --parents would build something else than asked).
    /// --link only changes how BuildKit stores the layer, and RUN --network=none is what RUN gets anyway.
    /// </summary>
    private static void RefuseUnsupportedFlags(Instruction x)
    {
        foreach (var (flag, value) in x.Flags)
        {
            var ok = (x.Keyword, flag) switch
            {
                ("COPY", "from" or "chown" or "chmod" or "link") => true,
                ("ADD", "chown" or "chmod" or "link") => true,
                ("RUN", "network") => value is "none" or "default",
                ("HEALTHCHECK", _) => true,
                _ => false,
            };
            if (!ok) throw new ImageException($"{x.Keyword} --{flag}{(x.Keyword == "RUN" && flag == "network" ? "=" + value : "")} is not supported by kapsel build");
        }
    }

    private ImageState ConfigOnly(BuildStage stage, Instruction x)
    {
        var config = stage.State.CloneConfig();
        var cmdSet = stage.CmdSet && x.Keyword != "CMD";
        ConfigInstructions.Apply(config, x, Words(Lookup(stage)), ref cmdSet);
        return stage.State.WithConfig(Layout, config, x.Text);
    }

    /// <summary>WORKDIR changes the config and, when the directory is missing, adds a layer creating it.</summary>
    private ImageState Workdir(BuildStage stage, Instruction x)
    {
        var config = stage.State.CloneConfig();
        var cmdSet = stage.CmdSet;
        ConfigInstructions.Apply(config, x, Words(Lookup(stage)), ref cmdSet);
        var dir = config.Config!.WorkingDir!;
        var view = new MergedView(stage.State.LowerDirs(Layout, Layers));
        var resolved = dir == "/" ? "" : view.ResolveParents(dir);
        if (resolved.Length == 0 || view.Lstat(resolved) is { Stat.IsDirectory: true })
            return stage.State.WithConfig(Layout, config, x.Text);
        var plan = CopyPlan.Create(new CopyRequest([], "/" + resolved + "/", new CopySource(_tempDir, ContextFilter.None, false, "build"), view, "/"));
        var stageDir = NewTemp("workdir");
        plan.Stage(stageDir);
        var layer = LayerBlobWriter.WriteDirectory(Layout.Blobs, stageDir, LayerSource.Rootfs);
        Layers.Unpack(Layout.Blobs, layer.Descriptor, layer.DiffId);
        return stage.State.WithLayer(Layout, config, layer, x.Text);
    }

    private CopyPlan PlanCopy(BuildStage stage, Instruction x, List<BuildStage> stages, string context, ContextFilter filter)
    {
        var words = Words(Lookup(stage));
        var parts = x.Json is { } j ? j.Select(words.Word).ToList() : words.Words(x.Arguments);
        if (parts.Count < 2) throw new ImageException($"{x.Keyword} needs at least one source and a destination");
        var source = new CopySource(context, filter, true, "build context");
        if (x.Flag("from") is { } from)
        {
            if (x.Keyword == "ADD") throw new ImageException("ADD does not take --from (use COPY --from)");
            from = words.Word(from);
            var root = FindStage(stages, from) is { } other
                ? (other == stage ? throw new ImageException($"COPY --from={from} refers to the stage being built") : MergedRoot(other.State))
                : MergedRoot(Bases.Resolve(from));
            source = new CopySource(root, ContextFilter.None, false, $"stage or image \"{from}\"");
        }
        var view = new MergedView(stage.State.LowerDirs(Layout, Layers));
        (int, int)? chown = x.Flag("chown") is { } c ? ResolveChown(view, words.Word(c)) : null;
        uint? chmod = null;
        if (x.Flag("chmod") is { } m)
        {
            try { chmod = Convert.ToUInt32(m, 8); }
            catch (FormatException) { throw new ImageException($"invalid --chmod \"{m}\" (octal, e.g. 755)"); }
        }
        return CopyPlan.Create(new CopyRequest(parts[..^1], parts[^1], source, view,
            stage.State.Config.Config?.WorkingDir ?? "/", x.Keyword == "ADD", chown, chmod));
    }

    /// <summary>--chown=user[:group] with names looked up in the image being built.</summary>
    private static (int, int) ResolveChown(MergedView view, string spec)
    {
        var (u, g) = spec.IndexOf(':') is var i and >= 0 ? (spec[..i], spec[(i + 1)..]) : (spec, null);
        string[]? Lookup(string file, string name) =>
            view.Lstat(file) is { } hit && hit.Stat.IsRegular
                ? File.ReadAllLines(Path.Combine(hit.Layer, file)).Select(l => l.Split(':')).FirstOrDefault(f => f.Length >= 3 && f[0] == name)
                : null;
        int uid, gid;
        if (!int.TryParse(u, out uid))
        {
            var entry = Lookup("etc/passwd", u) ?? throw new ImageException($"--chown: unknown user \"{u}\" in the image's /etc/passwd");
            uid = int.Parse(entry[2]);
            gid = entry.Length > 3 ? int.Parse(entry[3]) : uid;
        }
        else gid = uid;
        if (g is { Length: > 0 } && !int.TryParse(g, out gid))
            gid = int.Parse((Lookup("etc/group", g) ?? throw new ImageException($"--chown: unknown group \"{g}\" in the image's /etc/group"))[2]);
        return (uid, gid);
    }

    /// <summary>A read-only view of a state's root: its only layer dir, or an overlay of its layers mounted until the build ends.</summary>
    private string MergedRoot(ImageState state)
    {
        var lowers = state.LowerDirs(Layout, Layers);
        if (lowers.Count == 0) return NewTemp("empty");
        if (lowers.Count == 1) return lowers[0];
        var target = NewTemp("from");
        MountCalls.Mount("overlay", target, "overlay", MountCalls.MS_RDONLY | MountCalls.MS_NOSUID | MountCalls.MS_NODEV,
            $"lowerdir={string.Join(':', lowers)}");
        _mounts.Add(target);
        return target;
    }

    private string NewTemp(string what)
    {
        var dir = Path.Combine(_tempDir, $"{what}-{++_tempCounter}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private ImageState LayerFromStaging(BuildStage stage, Instruction x, Action<string> stageFiles)
    {
        var stageDir = NewTemp("copy");
        stageFiles(stageDir);
        var layer = LayerBlobWriter.WriteDirectory(Layout.Blobs, stageDir, LayerSource.Rootfs);
        ImageStore.DeleteTree(stageDir);
        Layers.Unpack(Layout.Blobs, layer.Descriptor, layer.DiffId);
        return stage.State.WithLayer(Layout, stage.State.CloneConfig(), layer, x.Text);
    }

    /// <summary>Where the runtime mounts /proc, /dev, /sys and their sub-mounts: created in the root if missing.</summary>
    private static readonly string[] MountTargets = ["dev/pts", "dev/shm", "dev/mqueue", "sys/fs/cgroup", "sys/fs", "proc", "dev", "sys"];

    /// <summary>
    /// Mount points the OCI runtime had to create in the upper dir (an image without /dev/pts, say)
    /// are not the RUN's work: empty ones, and their parents when they hold nothing else and the
    /// image has them already, are left out of the layer (deepest first); so are the bind targets
    /// of Kapsel's /etc files (and /etc itself when that is all it holds).
    /// </summary>
    public static HashSet<string> RuntimeMountpoints(string upper, IReadOnlyList<string> lowers)
    {
        var view = new MergedView(lowers);
        var skip = new HashSet<string>(StringComparer.Ordinal);
        // /etc/hostname, hosts, resolv.conf are the instance's own files bind-mounted over the
        // image's (writes go to those): what the upper dir has there is only the mount target.
        foreach (var (_, target) in Drivers.EtcFiles.Names)
            if (FileStat.Lstat(Path.Combine(upper, target.TrimStart('/'))) is { IsDirectory: false }) skip.Add(target.TrimStart('/'));
        foreach (var rel in MountTargets.Append("etc"))
        {
            var path = Path.Combine(upper, rel);
            if (FileStat.Lstat(path) is not { IsDirectory: true }) continue;
            if (Directory.EnumerateFileSystemEntries(path).Any(e => !skip.Contains(rel + "/" + Path.GetFileName(e)))) continue;
            if (FileStat.Xattrs(path).ContainsKey("trusted.overlay.opaque")) continue;
            var below = view.Lstat(rel);
            if (below is { } b && !b.Stat.IsDirectory) continue;
            skip.Add(rel);
        }
        return skip;
    }

    /// <summary>RUN: an app-level instance over the stage's layers; its upper dir becomes the layer.</summary>
    private ImageState Run(BuildStage stage, Instruction x)
    {
        var lowers = stage.State.LowerDirs(Layout, Layers);
        if (lowers.Count == 0) throw new ImageException("RUN in an empty stage (FROM scratch with nothing copied yet): there is nothing to run");
        var config = stage.State.CloneConfig();
        var command = ConfigInstructions.Command(x, config);
        var defaults = stage.State.Defaults;
        var image = new LocalImage
        {
            Name = "kapsel-build", Tag = stage.State.Manifest.Digest.Short, Id = stage.State.Manifest.Digest.Hex,
            RootfsPath = lowers[0], LowerDirs = [.. lowers], Created = DateTimeOffset.UtcNow, Source = "build",
            Defaults = new ImageDefaults([], [], defaults.Env, defaults.WorkingDir, defaults.User),
        };
        var name = "kapsel-build-" + InstanceNames.NewId()[..12];
        var request = new RunRequest(InstanceLevel.App, image.DisplayName, command, Name: name, Env: stage.ArgEnv(),
            ResolvedImage: image, User: defaults.User);
        output.Flush();
        var devNull = FileCalls.Open("/dev/null", FileCalls.O_RDONLY);
        int code;
        _runningInstance = name;
        try { code = new ForegroundRunner(engine).Run(request, null, new InstanceStdio(devNull, 1, 2)); }
        finally
        {
            _runningInstance = null;
            FileCalls.Close(devNull);
        }
        var instance = engine.Instances.Find(name) ?? throw new KapselException($"build instance {name} vanished");
        try
        {
            if (_interrupted) throw new KapselException("build interrupted");
            if (code != 0) throw new KapselException($"RUN {x.Arguments} returned a non-zero code: {code}");
            var upper = Path.Combine(engine.Paths.InstanceDir(instance.Id), "upper");
            var layer = LayerBlobWriter.WriteDirectory(Layout.Blobs, upper, LayerSource.OverlayUpper, RuntimeMountpoints(upper, lowers));
            Layers.Unpack(Layout.Blobs, layer.Descriptor, layer.DiffId);
            return stage.State.WithLayer(Layout, config, layer, x.Text);
        }
        finally { engine.Remove(instance, force: true); }
    }
}

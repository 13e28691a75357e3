using Kapsel.Engine.Build;

namespace Kapsel.Cli.Commands;

public static class BuildCommand
{
    public static readonly Command Definition = new(["build"], "Build an image from a Containerfile", """
        Usage: kapsel build [OPTIONS] CONTEXT

        Builds an image from CONTEXT/Containerfile (or Dockerfile). RUN steps execute in app-level
        instances; each step's result is cached, so an unchanged step is skipped ("Using cache").

        Options:
          -t, --tag NAME[:TAG]    name the image (repeatable)
          -f, --file FILE         the Containerfile (default CONTEXT/Containerfile or CONTEXT/Dockerfile)
          --build-arg KEY=VALUE   set a build argument declared with ARG (repeatable)
          --no-cache              run every step, ignoring the cache
          --target STAGE          build up to this stage only
          -q, --quiet             print only the image id

        Supported: FROM (images, built-in images, scratch, stages, AS), RUN, COPY/ADD (--from,
        --chown, --chmod, wildcards, .dockerignore, local tar archives extracted by ADD), ENV, ARG,
        WORKDIR, USER, CMD, ENTRYPOINT, EXPOSE, LABEL, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL,
        ONBUILD (recorded). ADD of URLs is refused: builds stay offline.
        The last line printed is the image id.
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        var tags = args.Values("-t", "--tag");
        var file = args.Value("-f", "--file");
        var buildArgs = new Dictionary<string, string>();
        foreach (var a in args.Values("--build-arg"))
        {
            var eq = a.IndexOf('=');
            // docker: --build-arg KEY alone takes KEY from the environment
            if (eq < 0) { if (Environment.GetEnvironmentVariable(a) is { } v) buildArgs[a] = v; }
            else buildArgs[a[..eq]] = a[(eq + 1)..];
        }
        var noCache = args.Flag("--no-cache");
        var target = args.Value("--target");
        var quiet = args.Flag("-q", "--quiet");
        ImageCommand.ApplyRegistryFlags(ctx, args);
        var positionals = args.Positionals();
        if (positionals.Count != 1) throw new UsageException("\"kapsel build\" needs exactly one CONTEXT directory");

        var output = quiet ? TextWriter.Null : Console.Out;
        var result = new ImageBuilder(ctx.Engine, output).Build(new BuildOptions(positionals[0], file, tags, buildArgs, noCache, target, quiet));
        if (!quiet) Console.Out.WriteLine($"COMMIT {(tags.Count > 0 ? string.Join(", ", tags) : "(untagged)")}: {result.Steps} steps, {result.CachedSteps} from cache");
        Console.Out.WriteLine(result.ImageId.Hex);
        return 0;
    }
}

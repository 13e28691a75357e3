using Kapsel.Images;
using Kapsel.Images.Archive;

namespace Kapsel.Cli.Commands;

/// <summary>`image save` (docker-archive or oci-archive) and `image load` (either, detected).</summary>
public static class ImageSaveLoadCommands
{
    public static readonly ImageVerb Save = new(["save"], "[-o FILE] [--format docker-archive|oci-archive] NAME|ID...",
        "Write images to a tar archive (stdout unless -o), built-in images included.", """
          -o, --output FILE    write here (replaced only when complete) instead of stdout
          --format FORMAT      docker-archive (default, what `docker load` reads) or oci-archive
        """, RunSave);

    public static readonly ImageVerb Load = new(["load"], "[-i FILE] [-q]",
        "Load images from a docker-archive or oci-archive (format detected; gzip/zstd too), stdin unless -i.", """
          -i, --input FILE     read this archive instead of stdin
          -q, --quiet          print nothing but errors
        A corrupt archive or hostile layer is refused and leaves nothing in the store.
        """, RunLoad);

    private static int RunSave(CliContext ctx, ArgReader args)
    {
        var output = args.Value("-o", "--output");
        var kind = ImageArchiveSaver.ParseKind(args.Value("--format"));
        var names = args.Positionals();
        if (names.Count == 0) throw new UsageException("\"kapsel image save\" needs at least one image");
        if (output is null && !Console.IsOutputRedirected)
            throw new UsageException("refusing to write an archive to a terminal: use -o FILE or redirect stdout");

        var store = ctx.Engine.Images;
        using var gc = ImageGcLock.Shared(store.Directory);
        var targets = names.Select(n => ImageTargets.Resolve(store, n, ctx.Progress.Report)).ToList();
        ctx.Progress.Report($"writing {string.Join(", ", names)}");
        if (output is null)
        {
            using var stdout = Console.OpenStandardOutput();
            using var buffered = new BufferedStream(stdout, 1 << 16);
            ImageArchiveSaver.Save(targets, kind, buffered);
        }
        else
        {
            var full = Path.GetFullPath(output);
            var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}");
            try
            {
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                    ImageArchiveSaver.Save(targets, kind, file);
                File.Move(temp, full, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ImageException($"cannot write {output}: {e.Message}");
            }
            finally { File.Delete(temp); }
        }
        ctx.Progress.Done();
        return 0;
    }

    private static int RunLoad(CliContext ctx, ArgReader args)
    {
        var input = args.Value("-i", "--input");
        var quiet = args.Flag("-q", "--quiet");
        if (args.Positionals().Count > 0) throw new UsageException("\"kapsel image load\" takes the archive with -i FILE (or on stdin)");
        if (input is null && !Console.IsInputRedirected)
            throw new UsageException("no archive: use -i FILE or pipe one to stdin");
        List<LoadedImage> loaded;
        try
        {
            using var stdin = input is null ? Console.OpenStandardInput() : null;
            loaded = ImageArchiveLoader.Load(ctx.Engine.Images, input, stdin, ctx.Progress.Report);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"cannot load {input ?? "stdin"}: {e.Message}");
        }
        ctx.Progress.Done();
        if (quiet) return 0;
        foreach (var image in loaded)
            Console.Out.WriteLine(image.Name is { } n ? $"Loaded image: {n.Familiar}" : $"Loaded image ID: {image.Target.DigestText}");
        return 0;
    }
}

using Kapsel.Engine.Instances;

namespace Kapsel.Cli.Commands;

public static class CpCommand
{
    public static readonly Command Definition = new(["cp"], "Copy files between an instance and the host", """
        Usage: kapsel cp INSTANCE:SRC DEST
               kapsel cp SRC INSTANCE:DEST
               kapsel cp INSTANCE:SRC -        (a tar stream of SRC on standard output)
               kapsel cp - INSTANCE:DIR        (a tar stream from standard input, into DIR)

        Copies a file or directory (recursively, with modes and owners). Into an existing
        directory (or a DEST ending in /) it keeps its name; otherwise DEST is the new name.
        The instance must be running: its side is read and written inside its own mount
        namespace, so its symlinks and volumes resolve as the instance sees them.
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var p = new ArgReader(argv).Positionals();
        if (p.Count != 2) throw new UsageException("\"kapsel cp\" needs a SOURCE and a DESTINATION, one of them INSTANCE:PATH");
        var (srcInstance, srcPath) = SplitRef(p[0]);
        var (dstInstance, dstPath) = SplitRef(p[1]);
        if (srcPath.Length == 0 || dstPath.Length == 0) throw new UsageException("\"kapsel cp\": SOURCE and DESTINATION must not be empty paths");
        var copy = new InstanceCopy();
        if (p[1] == "-" && srcInstance is not null) copy.CopyOutAsTar(InstanceArgs.Find(ctx, srcInstance), srcPath, output: 1);
        else if (p[0] == "-" && dstInstance is not null) copy.CopyInFromTar(InstanceArgs.Find(ctx, dstInstance), input: 0, dstPath);
        else if (srcInstance is not null && dstInstance is null) copy.CopyOut(InstanceArgs.Find(ctx, srcInstance), srcPath, dstPath);
        else if (srcInstance is null && dstInstance is not null) copy.CopyIn(InstanceArgs.Find(ctx, dstInstance), srcPath, dstPath);
        else throw new UsageException("\"kapsel cp\": exactly one of SOURCE and DESTINATION must be INSTANCE:PATH");
        return 0;
    }

    /// <summary>"name:/path" → (name, /path); a host path (absolute, ./, or without ':') → (null, path).</summary>
    private static (string? Instance, string Path) SplitRef(string text)
    {
        if (text.StartsWith('/') || text.StartsWith('.')) return (null, text);
        var colon = text.IndexOf(':');
        if (colon <= 0) return (null, text);
        var path = text[(colon + 1)..];
        return (text[..colon], path.StartsWith('/') ? path : "/" + path);
    }
}

using Kapsel.Engine.Build;

namespace Kapsel.Cli.Commands;

public static class CommitCommand
{
    public static readonly Command Definition = new(["commit"], "Create an image from an instance's changes", """
        Usage: kapsel commit [OPTIONS] INSTANCE [NAME[:TAG]]

        The instance's changes (its overlay upper dir: new, changed and deleted files) become a new
        layer on top of its image. Prints the new image id.

        Options:
          -c, --change "INSTR"   apply a Containerfile instruction to the config (CMD, ENTRYPOINT,
                                 ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD)
          -m, --message TEXT     commit message (stored in the image history)
          -a, --author TEXT      author
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        var changes = args.Values("-c", "--change");
        var message = args.Value("-m", "--message");
        var author = args.Value("-a", "--author");
        var positionals = args.Positionals();
        if (positionals.Count is < 1 or > 2) throw new UsageException("\"kapsel commit\" needs INSTANCE and optionally NAME[:TAG]");
        var state = new InstanceCommitter(ctx.Engine).Commit(new CommitRequest(positionals[0], positionals.ElementAtOrDefault(1), changes, message, author));
        Console.Out.WriteLine(state.Id(ctx.Engine.Images.Oci.Layout).Hex);
        return 0;
    }
}

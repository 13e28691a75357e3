namespace Kapsel.Cli.Commands;

public static class VersionCommand
{
    public const string Version = "0.1.0";

    public static readonly Command Definition = new(["version"], "Show the Kapsel version", "Usage: kapsel version",
        (_, _) =>
        {
            Console.Out.Write($"kapsel version {Version}\nspec: 1.2.0\n");
            return 0;
        });
}

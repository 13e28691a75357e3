namespace Kapsel.Cli.Commands;

public static class HelpCommand
{
    public static readonly Command Definition = new(["help"], "Show help for kapsel or a command", "Usage: kapsel help [COMMAND]",
        (ctx, args) =>
        {
            if (args.Length > 0 && Commands.Find(args[0]) is { } c) { Console.Out.Write(c.Usage.TrimEnd() + "\n"); return 0; }
            Print();
            return 0;
        });

    public static void Print()
    {
        Console.Out.Write("""
            Usage: kapsel [--root DIR] [--run-root DIR] [--debug] COMMAND [ARGS...]

            Runs isolated environments at four levels behind one CLI:
              chroot   filesystem change only, host namespaces (weak, honest about it)
              system   a whole Linux userland with its own init (like LXC)
              app      one process from an OCI image (like Docker; the default)
              vm       own kernel under QEMU/KVM

            Commands:

            """);
        foreach (var c in Commands.All.Where(c => c.Summary.Length > 0)) // internal commands have none
            Console.Out.Write($"  {c.Names[0],-10} {c.Summary}\n");
        Console.Out.Write("""

              oci        The runc-compatible OCI runtime (also installed as kapsel-runc)

            Global options:
              --root DIR       persistent state (default /var/lib/kapsel, or $KAPSEL_ROOT)
              --run-root DIR   runtime state (default /run/kapsel, or ROOT/run with --root, or $KAPSEL_RUN_ROOT)
              --debug          show details of failures

            Run 'kapsel COMMAND --help' for more about a command.

            """);
    }
}

using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kapsel.Engine;
using Kapsel.Engine.Instances;
using Kapsel.Engine.Monitor;
using Kapsel.Linux.Interop;

namespace Kapsel.Cli.Commands;

public static class AttachCommand
{
    public static readonly Command Definition = new(["attach"], "Attach to a detached instance's output and input", """
        Usage: kapsel attach [--no-stdin] [--sig-proxy=false] INSTANCE

        Streams the instance's output (from now on) to this terminal and this terminal's input to
        the instance's stdin (for instances started with -i or -t), until the instance stops;
        exits with its exit code. Ctrl-C is sent to the instance unless --sig-proxy=false.
        """, Run);

    private static int Run(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        var noStdin = args.Flag("--no-stdin");
        var sigProxy = args.Value("--sig-proxy") is not ("false" or "0");
        var names = args.Positionals();
        if (names.Count != 1) throw new UsageException("\"kapsel attach\" needs exactly one INSTANCE");
        var instance = InstanceArgs.Find(ctx, names[0]);
        if (!InstanceControl.IsRunning(instance)) throw new KapselException($"instance {instance.Name} is not running");
        var path = AttachServer.PathFor(ctx.Paths, instance.Id);
        if (!instance.Config.Detached || !File.Exists(path))
            throw new KapselException($"instance {instance.Name} runs attached to another terminal (only instances started with -d can be attached)");

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try { socket.Connect(new UnixDomainSocketEndPoint(path)); }
        catch (SocketException e) { throw new KapselException($"cannot attach to {instance.Name}: {e.Message}"); }

        var control = new InstanceControl(ctx.Engine);
        var registrations = new List<PosixSignalRegistration>();
        if (sigProxy)
            foreach (var (signal, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15) })
                registrations.Add(PosixSignalRegistration.Create(signal, c =>
                {
                    c.Cancel = true;
                    try { control.Kill(instance, number); } catch (KapselException) { }
                }));
        using var raw = instance.Config.Tty && !noStdin ? TerminalMode.Raw(0) : null;
        try
        {
            if (!noStdin && (instance.Config.Interactive || instance.Config.Tty))
            {
                new Thread(() =>
                {
                    var buffer = new byte[4096];
                    try
                    {
                        int n;
                        while ((n = FileCalls.Read(0, buffer)) > 0) socket.Send(buffer.AsSpan(0, n));
                        socket.Shutdown(SocketShutdown.Send); // our input ended; the instance keeps its stdin for other clients
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException or Linux.SyscallException) { }
                }) { IsBackground = true, Name = "attach stdin" }.Start();
            }
            var output = Console.OpenStandardOutput();
            var data = new byte[16384];
            int got;
            while ((got = socket.Receive(data)) > 0) { output.Write(data, 0, got); output.Flush(); }
        }
        catch (SocketException) { }
        finally { registrations.ForEach(r => r.Dispose()); }
        raw?.Dispose();
        return control.Wait(ctx.Engine.Instances.Get(instance.Id) ?? instance);
    }
}

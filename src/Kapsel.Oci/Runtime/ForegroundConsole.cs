using System.Runtime.InteropServices;
using System.Net.Sockets;
using Kapsel.Linux;
using Kapsel.Linux.Interop;
using Kapsel.Oci.Interop;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// `run` of a `terminal: true` container without --console-socket (as runc allows): the runtime is
/// its own console-socket server, takes the pty master and relays it to its stdin/stdout until the
/// container's side of the pty closes.
/// </summary>
public sealed class ForegroundConsole : IDisposable
{
    private readonly Socket _listener;
    private int _master = -1;
    private Thread? _input;
    public string SocketPath { get; }
    /// <summary>The pty master once <see cref="Accept"/> received it (-1 before).</summary>
    public int Master => _master;

    public ForegroundConsole(string root, string id)
    {
        Directory.CreateDirectory(root);
        SocketPath = Path.Combine(root, $".{id}.console.sock");
        File.Delete(SocketPath);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(1);
    }

    /// <summary>After create: the container's init connected and sent the master.</summary>
    public void Accept()
    {
        using var conn = _listener.Accept();
        _master = OciCalls.ReceiveFd((int)conn.Handle);
        if (_master < 0) throw new OciException("console socket: the container sent no terminal");
    }

    /// <summary>
    /// Relays stdin to the pty (background thread) and the pty to stdout until the pty closes.
    /// With <paramref name="resize"/>, the pty follows the size of the terminal on stdin (SIGWINCH).
    /// </summary>
    public void Relay(bool resize = false)
    {
        var master = _master;
        PosixSignalRegistration? winch = null;
        if (resize)
        {
            TerminalMode.CopyWindowSize(0, master);
            winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => TerminalMode.CopyWindowSize(0, master));
        }
        using var _ = winch;
        _input = new Thread(() => Copy(0, master, stopOnEof: true)) { IsBackground = true, Name = "console stdin" };
        _input.Start();
        Copy(master, 1, stopOnEof: true);
    }

    private static void Copy(int from, int to, bool stopOnEof)
    {
        Span<byte> buffer = stackalloc byte[8192];
        while (true)
        {
            int n;
            try { n = FileCalls.Read(from, buffer); }
            catch (SyscallException) { return; } // EIO: the container's side of the pty closed
            if (n <= 0 && stopOnEof) return;
            try { FileCalls.WriteAll(to, buffer[..n]); }
            catch (SyscallException) { return; }
        }
    }

    public void Dispose()
    {
        FileCalls.Close(_master);
        _master = -1;
        _listener.Dispose();
        File.Delete(SocketPath);
    }
}

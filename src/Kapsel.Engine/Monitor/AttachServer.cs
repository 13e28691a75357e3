using System.Net.Sockets;
using Kapsel.Linux.Interop;

namespace Kapsel.Engine.Monitor;

/// <summary>
/// `attach` for a detached instance, served by its monitor (as conmon does): a unix socket at
/// RUNROOT/attach/ID.sock; every connected client gets a copy of the instance's output as it is
/// produced, and what a client sends goes to the instance's stdin (a pipe for -i, the pty for
/// -t). Closing the server (the instance exited) closes every client.
/// </summary>
public sealed class AttachServer : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _clients = [];
    private readonly Lock _lock = new();
    private readonly int _input;
    private readonly Thread _accept;

    public string Path { get; }

    /// <param name="input">fd written with client input (stdin pipe or pty master), or -1 to ignore input.</param>
    public AttachServer(string path, int input)
    {
        (Path, _input) = (path, input);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.Delete(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(8);
        _accept = new Thread(AcceptLoop) { IsBackground = true, Name = "attach accept" };
        _accept.Start();
    }

    public static string PathFor(KapselPaths paths, string id) => System.IO.Path.Combine(paths.RunRoot, "attach", id[..12] + ".sock");

    /// <summary>Sends output bytes to every attached client; a client that cannot take them is dropped.</summary>
    public void Broadcast(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            for (var i = _clients.Count - 1; i >= 0; i--)
            {
                try { _clients[i].Send(data); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { _clients[i].Dispose(); _clients.RemoveAt(i); }
            }
        }
    }

    private void AcceptLoop()
    {
        while (true)
        {
            Socket client;
            try { client = _listener.Accept(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            lock (_lock) _clients.Add(client);
            new Thread(() => InputLoop(client)) { IsBackground = true, Name = "attach input" }.Start();
        }
    }

    private void InputLoop(Socket client)
    {
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try { n = client.Receive(buffer); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            if (n <= 0) return; // the client closed its side (e.g. its stdin ended): output keeps flowing
            if (_input < 0) continue;
            try { FileCalls.WriteAll(_input, buffer.AsSpan(0, n)); }
            catch (Linux.SyscallException) { return; } // the instance closed its stdin
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        lock (_lock)
        {
            foreach (var c in _clients)
            {
                try { c.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
                c.Dispose();
            }
            _clients.Clear();
        }
        File.Delete(Path);
    }
}

using System.Net.Sockets;
using System.Text;

namespace Kapsel.Linux.DBus;

/// <summary>
/// A minimal D-Bus client over a Unix socket: SASL EXTERNAL authentication (the kernel tells the
/// bus our uid), Hello, and blocking method calls matched to their replies by serial. Enough for
/// systemd's manager API; no signals, no fd passing.
/// </summary>
public sealed class DBusConnection : IDisposable
{
    public const string SystemBusSocket = "/run/dbus/system_bus_socket";
    private const string Bus = "org.freedesktop.DBus";
    private readonly Socket _socket;
    private uint _serial;

    /// <summary>The unique name the bus gave us (":1.42").</summary>
    public string UniqueName { get; private set; } = "";

    private DBusConnection(Socket socket) => _socket = socket;

    /// <summary>Connects, authenticates and says Hello; <paramref name="timeoutMs"/> bounds every later wait.</summary>
    public static DBusConnection Open(string socketPath = SystemBusSocket, int timeoutMs = 10_000)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = timeoutMs, SendTimeout = timeoutMs,
        };
        var connection = new DBusConnection(socket);
        try
        {
            try { socket.Connect(new UnixDomainSocketEndPoint(socketPath)); }
            catch (SocketException e) { throw new DBusException("org.kapsel.Error.Connect", $"cannot connect to the D-Bus socket {socketPath}: {e.Message}"); }
            connection.Authenticate();
            var hello = connection.Call(Bus, "/org/freedesktop/DBus", Bus, "Hello");
            connection.UniqueName = hello.Body().String();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>SASL: a NUL byte, AUTH EXTERNAL with our uid in hex-encoded ASCII, OK, BEGIN.</summary>
    private void Authenticate()
    {
        var uid = Convert.ToHexString(Encoding.ASCII.GetBytes(Interop.ProcessCalls.GetEuid().ToString())).ToLowerInvariant();
        Send(Encoding.ASCII.GetBytes($"\0AUTH EXTERNAL {uid}\r\n"));
        var reply = ReadLine();
        if (!reply.StartsWith("OK ", StringComparison.Ordinal))
            throw new DBusException("org.kapsel.Error.Auth", $"D-Bus authentication (EXTERNAL) refused: {reply}");
        Send("BEGIN\r\n"u8);
    }

    private string ReadLine()
    {
        var line = new StringBuilder();
        Span<byte> b = stackalloc byte[1];
        while (line.Length < 4096)
        {
            if (_socket.Receive(b) == 0) throw new DBusException("org.kapsel.Error.Disconnected", "the bus closed the connection during authentication");
            if (b[0] == '\n' && line.Length > 0 && line[^1] == '\r') return line.ToString(0, line.Length - 1);
            line.Append((char)b[0]);
        }
        throw new DBusException("org.kapsel.Error.Auth", "overlong authentication line");
    }

    private void Send(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0) data = data[_socket.Send(data)..];
    }

    private void ReceiveExactly(Span<byte> into)
    {
        while (into.Length > 0)
        {
            int n;
            try { n = _socket.Receive(into); }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                throw new DBusException("org.kapsel.Error.Timeout", "no reply from the bus in time");
            }
            if (n == 0) throw new DBusException("org.kapsel.Error.Disconnected", "the bus closed the connection");
            into = into[n..];
        }
    }

    private DBusMessage Receive()
    {
        var prelude = new byte[DBusMessage.PreludeLength];
        ReceiveExactly(prelude);
        var raw = new byte[DBusMessage.TotalLength(prelude)];
        prelude.CopyTo(raw, 0);
        ReceiveExactly(raw.AsSpan(DBusMessage.PreludeLength));
        return DBusMessage.Parse(raw);
    }

    /// <summary>Calls a method and returns its reply; an error reply becomes a <see cref="DBusException"/>.</summary>
    public DBusMessage Call(string destination, string path, string @interface, string member,
        string signature = "", Action<DBusWriter>? body = null)
    {
        var serial = ++_serial;
        Send(DBusMessage.MethodCall(serial, destination, path, @interface, member, signature, body));
        while (true)
        {
            var message = Receive();
            if (message.ReplySerial != serial) continue; // signals (NameAcquired, ...) and anything else
            if (message.Type == DBusMessageType.Error)
            {
                var text = message.Signature.StartsWith('s') ? message.Body().String() : "";
                throw new DBusException(message.ErrorName ?? "org.freedesktop.DBus.Error.Failed", text);
            }
            return message;
        }
    }

    public void Dispose() => _socket.Dispose();
}

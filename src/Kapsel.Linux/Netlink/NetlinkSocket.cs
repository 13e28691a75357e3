using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Kapsel.Linux;
using Kapsel.Linux.Interop;
using static Kapsel.Linux.Netlink.NetlinkSocketCalls;

namespace Kapsel.Linux.Netlink;

/// <summary>
/// An AF_NETLINK/NETLINK_ROUTE socket that sends one request at a time and collects its answer:
/// the acknowledgement (NLM_F_ACK), the reply of a GET, or all parts of a multipart dump.
/// Not thread-safe on its own; <see cref="RtNetlink"/> serialises access.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private const int MaxDumpRetries = 5;
    private byte[] _receiveBuffer = new byte[64 * 1024];
    private uint _sequence;
    private int _fd;

    public uint PortId { get; }

    /// <summary>Creates a socket in the calling thread's network namespace.</summary>
    public static NetlinkSocket Open() => new(CreateRawSocket());

    public static int CreateRawSocket() =>
        SyscallException.Check(Socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE),
            "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)");

    /// <summary>Takes ownership of a fresh netlink socket fd (whichever namespace it was created in).</summary>
    public NetlinkSocket(int fd)
    {
        _fd = fd;
        try
        {
            // Extended acks carry the kernel's reason ("Attribute failed policy validation" ...);
            // capped acks stop the kernel from echoing our whole request back in every error.
            SetOption(SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK", optional: true);
            SetOption(SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK", optional: true);
            SetOption(SOL_SOCKET, SO_RCVBUF, 1 << 20, "SO_RCVBUF", optional: true);
            var address = new SockaddrNl { Family = AF_NETLINK };
            SyscallException.Check(Bind(fd, &address, sizeof(SockaddrNl)), $"bind(netlink socket {fd})");
            var length = sizeof(SockaddrNl);
            SyscallException.Check(GetSockName(fd, &address, &length), $"getsockname(netlink socket {fd})");
            PortId = address.PortId;
            _sequence = (uint)Environment.TickCount;
        }
        catch
        {
            FileCalls.Close(fd);
            throw;
        }
    }

    /// <summary>Sends a request with NLM_F_ACK and returns the data messages that came before the ack.</summary>
    public List<NetlinkMessage> Request(NetlinkMessageWriter message, string operation) =>
        Transact(message.ToArray(), operation, isDump: false);

    /// <summary>Sends an NLM_F_DUMP request and returns all parts; restarts if the kernel flags it interrupted.</summary>
    public List<NetlinkMessage> Dump(NetlinkMessageWriter message, string operation)
    {
        var request = message.ToArray();
        for (var attempt = 1; ; attempt++)
        {
            var parts = Transact(request, operation, isDump: true);
            var interrupted = parts.Exists(p => (p.Flags & NetlinkHeader.NLM_F_DUMP_INTR) != 0);
            if (!interrupted || attempt == MaxDumpRetries) return parts;
        }
    }

    private List<NetlinkMessage> Transact(byte[] request, string operation, bool isDump)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(request.AsSpan(6));
        if (!isDump) flags |= NetlinkHeader.NLM_F_ACK;
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(6), flags);
        var sequence = ++_sequence;
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), sequence);
        Send(request, operation);

        var replies = new List<NetlinkMessage>();
        while (true)
        {
            foreach (var message in NetlinkMessage.Split(ReceiveDatagram(operation)))
            {
                // Leftovers of an earlier request (e.g. one abandoned by an exception) are skipped.
                if (message.Sequence != sequence) continue;
                switch (message.Type)
                {
                    case NetlinkHeader.NLMSG_NOOP:
                        continue;
                    case NetlinkHeader.NLMSG_ERROR:
                        ThrowIfError(message, operation);
                        return replies; // errno 0: the acknowledgement
                    case NetlinkHeader.NLMSG_DONE:
                        ThrowIfError(message, operation);
                        return replies;
                    case NetlinkHeader.NLMSG_OVERRUN:
                        throw new NetlinkException(operation, Errnos.EIO, "netlink overrun: data was lost");
                    default:
                        replies.Add(message);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// NLMSG_ERROR carries struct nlmsgerr { int error; struct nlmsghdr msg; ... } and, with
    /// NLM_F_ACK_TLVS, extended-ack attributes after the (capped) original request.
    /// NLMSG_DONE of a dump carries the same int error in front of its attributes.
    /// </summary>
    private static void ThrowIfError(NetlinkMessage message, string operation)
    {
        var payload = message.Payload.Span;
        if (payload.Length < 4) return;
        var error = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (error == 0) return;

        string? kernelMessage = null;
        if ((message.Flags & NetlinkHeader.NLM_F_ACK_TLVS) != 0)
        {
            int attributesOffset;
            if (message.Type == NetlinkHeader.NLMSG_DONE)
                attributesOffset = 4;
            else
            {
                var originalLength = payload.Length >= 8 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]) : 0;
                var echoed = (message.Flags & NetlinkHeader.NLM_F_CAPPED) != 0 ? NetlinkHeader.Size : originalLength;
                attributesOffset = 4 + NetlinkHeader.Align(echoed);
            }
            if (attributesOffset <= payload.Length)
                kernelMessage = NetlinkAttributes.Parse(message.Payload[attributesOffset..]).String(NetlinkHeader.NLMSGERR_ATTR_MSG);
        }
        throw new NetlinkException(operation, -error, kernelMessage);
    }

    private void Send(byte[] request, string operation)
    {
        var kernel = new SockaddrNl { Family = AF_NETLINK };
        fixed (byte* p = request)
        {
            while (true)
            {
                var n = SendTo(_fd, p, request.Length, 0, &kernel, sizeof(SockaddrNl));
                if (n >= 0) return;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errnos.EINTR) throw new NetlinkException(operation + ": sendto", errno, null);
            }
        }
    }

    /// <summary>Receives one whole datagram; a peek with MSG_TRUNC sizes the buffer first so nothing is cut.</summary>
    private ReadOnlyMemory<byte> ReceiveDatagram(string operation)
    {
        var size = ReceiveInto(MSG_PEEK | MSG_TRUNC, operation);
        if (size > _receiveBuffer.Length) _receiveBuffer = new byte[NetlinkHeader.Align(size)];
        var n = ReceiveInto(0, operation);
        // A copy: messages must stay valid after the buffer is reused for the next datagram.
        return _receiveBuffer.AsSpan(0, n).ToArray();
    }

    private int ReceiveInto(int flags, string operation)
    {
        fixed (byte* p = _receiveBuffer)
        {
            while (true)
            {
                var n = Recv(_fd, p, _receiveBuffer.Length, flags);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errnos.EINTR) throw new NetlinkException(operation + ": recv", errno, null);
            }
        }
    }

    private void SetOption(int level, int name, int value, string what, bool optional)
    {
        if (SetSockOpt(_fd, level, name, &value, sizeof(int)) == 0 || optional) return;
        throw SyscallException.FromLastError($"setsockopt({what}, {value})");
    }

    public void Dispose()
    {
        FileCalls.Close(_fd);
        _fd = -1;
    }
}

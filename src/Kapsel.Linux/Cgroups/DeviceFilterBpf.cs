using System.Runtime.InteropServices;
using Kapsel.Linux.Interop;

namespace Kapsel.Linux.Cgroups;

/// <summary>
/// The bpf(2) calls that load a device filter and attach it to a cgroup2 directory, replacing
/// the programs an earlier Apply attached (attach the new one first, so there is no window
/// without a filter, then detach the old ones).
/// </summary>
public static unsafe class DeviceFilterBpf
{
    private const long SYS_bpf = 321; // x86-64
    private const int BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
    private const int BPF_PROG_TYPE_CGROUP_DEVICE = 15, BPF_CGROUP_DEVICE = 6;
    private const int BPF_F_ALLOW_MULTI = 2;
    private const int AttrSize = 128; // union bpf_attr: larger than any command we use, zero-filled tail is accepted

    /// <summary>Generates, loads and attaches the program for <paramref name="rules"/> to the cgroup2 directory.</summary>
    public static void Apply(string cgroupDirectory, IReadOnlyList<DeviceRule> rules)
    {
        var program = DeviceFilter.Generate(rules);
        var dirFd = FileCalls.Open(cgroupDirectory, FileCalls.O_RDONLY | FileCalls.O_DIRECTORY);
        try
        {
            var old = QueryAttached(dirFd, cgroupDirectory);
            var programFd = Load(program);
            try
            {
                Attach(dirFd, programFd, cgroupDirectory);
            }
            finally { FileCalls.Close(programFd); }
            foreach (var id in old) Detach(dirFd, id, cgroupDirectory);
        }
        finally { FileCalls.Close(dirFd); }
    }

    /// <summary>BPF_PROG_LOAD; on a verifier rejection the error carries the verifier's log.</summary>
    public static int Load(DeviceFilterInstruction[] program)
    {
        var license = "Apache-2.0\0"u8;
        fixed (DeviceFilterInstruction* insns = program)
        fixed (byte* lic = license)
        {
            var attr = stackalloc byte[AttrSize];
            new Span<byte>(attr, AttrSize).Clear();
            *(uint*)(attr + 0) = BPF_PROG_TYPE_CGROUP_DEVICE; // prog_type
            *(uint*)(attr + 4) = (uint)program.Length;         // insn_cnt
            *(ulong*)(attr + 8) = (ulong)insns;                // insns
            *(ulong*)(attr + 16) = (ulong)lic;                 // license
            "kapsel_dev\0"u8.CopyTo(new Span<byte>(attr + 48, 16)); // prog_name
            *(uint*)(attr + 68) = BPF_CGROUP_DEVICE;           // expected_attach_type
            var fd = Sys.Syscall(SYS_bpf, BPF_PROG_LOAD, (long)attr, AttrSize);
            if (fd >= 0) return (int)fd;
            var errno = Marshal.GetLastPInvokeError();

            // Load again with a log buffer so the error says why the verifier refused.
            var log = new byte[65536];
            fixed (byte* logBuffer = log)
            {
                *(uint*)(attr + 24) = 1;                       // log_level
                *(uint*)(attr + 28) = (uint)log.Length;        // log_size
                *(ulong*)(attr + 32) = (ulong)logBuffer;       // log_buf
                var retry = Sys.Syscall(SYS_bpf, BPF_PROG_LOAD, (long)attr, AttrSize);
                if (retry >= 0) return (int)retry;
            }
            var text = System.Text.Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
            throw new CgroupException($"bpf(BPF_PROG_LOAD, cgroup device filter, {program.Length} instructions)" +
                (text.Length > 0 ? $" [verifier: {text}]" : ""), errno);
        }
    }

    private static void Attach(int dirFd, int programFd, string directory)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)dirFd;          // target_fd
        *(uint*)(attr + 4) = (uint)programFd;      // attach_bpf_fd
        *(uint*)(attr + 8) = BPF_CGROUP_DEVICE;    // attach_type
        *(uint*)(attr + 12) = BPF_F_ALLOW_MULTI;   // attach_flags
        if (Sys.Syscall(SYS_bpf, BPF_PROG_ATTACH, (long)attr, AttrSize) < 0)
            throw new CgroupException($"bpf(BPF_PROG_ATTACH, {directory}, BPF_CGROUP_DEVICE)", Marshal.GetLastPInvokeError(), directory);
    }

    /// <summary>The ids of the device programs attached directly to the directory.</summary>
    public static IReadOnlyList<uint> QueryAttached(int dirFd, string directory)
    {
        var ids = stackalloc uint[64];
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)dirFd;        // target_fd
        *(uint*)(attr + 4) = BPF_CGROUP_DEVICE;  // attach_type
        *(ulong*)(attr + 16) = (ulong)ids;       // prog_ids
        *(uint*)(attr + 24) = 64;                // prog_cnt
        if (Sys.Syscall(SYS_bpf, BPF_PROG_QUERY, (long)attr, AttrSize) < 0)
            throw new CgroupException($"bpf(BPF_PROG_QUERY, {directory}, BPF_CGROUP_DEVICE)", Marshal.GetLastPInvokeError(), directory);
        var count = Math.Min(*(uint*)(attr + 24), 64u);
        var result = new uint[count];
        for (var i = 0; i < count; i++) result[i] = ids[i];
        return result;
    }

    private static void Detach(int dirFd, uint programId, string directory)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = programId; // prog_id
        var programFd = Sys.Syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, (long)attr, AttrSize);
        if (programFd < 0)
        {
            if (Marshal.GetLastPInvokeError() == Errnos.ENOENT) return; // already gone
            throw new CgroupException($"bpf(BPF_PROG_GET_FD_BY_ID, {programId})", Marshal.GetLastPInvokeError(), directory);
        }
        try
        {
            new Span<byte>(attr, AttrSize).Clear();
            *(uint*)(attr + 0) = (uint)dirFd;
            *(uint*)(attr + 4) = (uint)programFd;
            *(uint*)(attr + 8) = BPF_CGROUP_DEVICE;
            if (Sys.Syscall(SYS_bpf, BPF_PROG_DETACH, (long)attr, AttrSize) < 0)
                throw new CgroupException($"bpf(BPF_PROG_DETACH, {directory}, program {programId})", Marshal.GetLastPInvokeError(), directory);
        }
        finally { FileCalls.Close((int)programFd); }
    }
}

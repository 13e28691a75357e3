using System.Runtime.InteropServices;
using System.Text;
using Kapsel.Linux;
using Kapsel.Linux.Interop;

namespace Kapsel.Images.Layers;

/// <summary>What a tar writer needs of a file: lstat fields, symlink targets and extended attributes, never following links.</summary>
internal static unsafe partial class LayerFs
{
    private const int AT_FDCWD = -100;

    /// <summary>The lstat fields a tar header carries (plus inode and link count for hard links).</summary>
    public readonly record struct FileStat(uint Mode, int Uid, int Gid, long Size, long MtimeSec, uint Nlink,
        ulong Ino, uint DevMajor, uint DevMinor, uint RdevMajor, uint RdevMinor)
    {
        public uint Type => Mode & S_IFMT;
    }

    [LibraryImport(Sys.Libc, EntryPoint = "llistxattr", SetLastError = true)]
    private static partial nint llistxattr(byte* path, byte* list, nuint size);
    [LibraryImport(Sys.Libc, EntryPoint = "lgetxattr", SetLastError = true)]
    private static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);

    /// <summary>statx(path, AT_SYMLINK_NOFOLLOW); throws SyscallException naming the path.</summary>
    public static FileStat LStat(string path)
    {
        byte* buf = stackalloc byte[256];
        fixed (byte* p = Utf8.Z(path))
        {
            if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) < 0)
                throw new SyscallException($"statx({path})", Marshal.GetLastPInvokeError());
        }
        return new FileStat(
            Mode: *(ushort*)(buf + 0x1c), Uid: *(int*)(buf + 0x14), Gid: *(int*)(buf + 0x18),
            Size: *(long*)(buf + 0x28), MtimeSec: *(long*)(buf + 0x70), Nlink: *(uint*)(buf + 0x10),
            Ino: *(ulong*)(buf + 0x20), DevMajor: *(uint*)(buf + 0x88), DevMinor: *(uint*)(buf + 0x8c),
            RdevMajor: *(uint*)(buf + 0x80), RdevMinor: *(uint*)(buf + 0x84));
    }

    /// <summary>Extended attributes of path itself (not a symlink's target), names sorted; empty where unsupported.</summary>
    public static SortedDictionary<string, byte[]> LGetXattrs(string path)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        fixed (byte* p = Utf8.Z(path))
        {
            var size = llistxattr(p, null, 0);
            if (size <= 0) return result; // ENOTSUP/EPERM or none
            var list = new byte[size + 256];
            fixed (byte* l = list)
            {
                size = llistxattr(p, l, (nuint)list.Length);
                if (size < 0) return result;
            }
            var names = Encoding.UTF8.GetString(list, 0, (int)size).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            foreach (var name in names)
            {
                fixed (byte* n = Utf8.Z(name))
                {
                    var len = lgetxattr(p, n, null, 0);
                    if (len < 0) continue;
                    var value = new byte[len];
                    fixed (byte* v = value)
                    {
                        len = lgetxattr(p, n, v, (nuint)value.Length);
                        if (len < 0) continue;
                    }
                    result[name] = value.AsSpan(0, (int)len).ToArray();
                }
            }
        }
        return result;
    }
}

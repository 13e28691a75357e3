using System.Runtime.InteropServices;

namespace Kapsel.Linux.Interop;

/// <summary>
/// The new mount API: open_tree(2) (a detached copy of a mount tree, held by an fd),
/// fsopen/fsconfig/fsmount(2) (a new, detached file system), mount_setattr(2) (per-mount
/// attributes, recursively if asked, and id-mapping) and move_mount(2) (attaching a detached
/// tree). Kernel 5.12+.
/// </summary>
public static unsafe class MountApiCalls
{
    public const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000;
    public const uint AT_EMPTY_PATH = 0x1000, AT_RECURSIVE = 0x8000;
    public const uint MOVE_MOUNT_F_EMPTY_PATH = 4;

    public const ulong MOUNT_ATTR_RDONLY = 0x1, MOUNT_ATTR_NOSUID = 0x2, MOUNT_ATTR_NODEV = 0x4, MOUNT_ATTR_NOEXEC = 0x8,
        MOUNT_ATTR__ATIME = 0x70, MOUNT_ATTR_RELATIME = 0x0, MOUNT_ATTR_NOATIME = 0x10, MOUNT_ATTR_STRICTATIME = 0x20,
        MOUNT_ATTR_NODIRATIME = 0x80, MOUNT_ATTR_IDMAP = 0x100000, MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

    /// <summary>struct mount_attr (MOUNT_ATTR_SIZE_VER0).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MountAttr
    {
        public ulong AttrSet, AttrClr, Propagation, UsernsFd;
    }

    /// <summary>A detached clone of the mount at <paramref name="path"/> (and its submounts if recursive), close-on-exec.</summary>
    public static int OpenTree(string path, bool recursive)
    {
        var flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        fixed (byte* p = Utf8.Z(path))
            return (int)SyscallException.Check(Sys.Syscall(Sys.SYS_open_tree, FileCalls.AT_FDCWD, (long)p, flags),
                $"open_tree(\"{path}\", 0x{flags:x})");
    }

    private const uint FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1;
    private const uint FSCONFIG_SET_FLAG = 0, FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;

    /// <summary>
    /// A new instance of a file system, not attached anywhere: its mount fd (close-on-exec).
    /// <paramref name="source"/> is what mountinfo shows as the source; <paramref name="options"/> are mount data ("size=64m", "mode=1777", or flags like "noswap").
    /// </summary>
    public static int NewDetachedMount(string fsType, string? source, IEnumerable<string> options, ulong attributes)
    {
        int fs;
        fixed (byte* type = Utf8.Z(fsType))
            fs = (int)SyscallException.Check(Sys.Syscall(Sys.SYS_fsopen, (long)type, FSOPEN_CLOEXEC), $"fsopen(\"{fsType}\")");
        try
        {
            foreach (var option in string.IsNullOrEmpty(source) ? options : options.Prepend("source=" + source))
            {
                var eq = option.IndexOf('=');
                fixed (byte* key = Utf8.Z(eq < 0 ? option : option[..eq]))
                fixed (byte* value = Utf8.Z(eq < 0 ? "" : option[(eq + 1)..]))
                    SyscallException.Check(Sys.Syscall(Sys.SYS_fsconfig, fs, eq < 0 ? FSCONFIG_SET_FLAG : FSCONFIG_SET_STRING,
                        (long)key, eq < 0 ? 0 : (long)value, 0), $"fsconfig({fsType}, \"{option}\")");
            }
            SyscallException.Check(Sys.Syscall(Sys.SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, 0, 0, 0), $"fsconfig({fsType}, create)");
            return (int)SyscallException.Check(Sys.Syscall(Sys.SYS_fsmount, fs, FSMOUNT_CLOEXEC, (long)attributes), $"fsmount({fsType})");
        }
        finally { FileCalls.Close(fs); }
    }

    /// <summary>Sets attributes on the mount an fd holds (AT_EMPTY_PATH), or on its whole tree.</summary>
    public static void MountSetattr(int treeFd, bool recursive, MountAttr attr, string what)
    {
        var flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
        fixed (byte* empty = Utf8.Z(""))
            SyscallException.Check(Sys.Syscall(Sys.SYS_mount_setattr, treeFd, (long)empty, flags, (long)&attr, sizeof(MountAttr)),
                $"mount_setattr({what}, 0x{flags:x}, set 0x{attr.AttrSet:x})");
    }
}

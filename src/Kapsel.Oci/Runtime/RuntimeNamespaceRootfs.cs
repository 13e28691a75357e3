using Kapsel.Linux.Fs;
using Kapsel.Linux.Interop;

namespace Kapsel.Oci.Runtime;

/// <summary>
/// A container without a mount namespace of its own keeps its mounts in the runtime's, on a bind
/// of the rootfs onto itself. That bind is recognised by its mount ID (topmost mount at the rootfs
/// path), so cleanup never detaches a mount that was there before the container (an image overlay).
/// </summary>
internal static class RuntimeNamespaceRootfs
{
    /// <summary>The ID of the topmost mount at <paramref name="path"/> in this mount namespace; null if none is exactly there.</summary>
    public static int? TopMountId(string path) =>
        MountInfo.Own().LastOrDefault(m => m.MountPoint == path) is { MountPoint.Length: > 0 } top ? top.Id : null;

    /// <summary>Detaches the container's bind (and every mount below it) if it is still the topmost at <paramref name="path"/>.</summary>
    public static void Detach(string path, int mountId)
    {
        if (TopMountId(path) == mountId) MountCalls.TryUmount(path, MountCalls.MNT_DETACH);
    }
}

namespace Kapsel.Linux.Interop;

/// <summary>NUL-terminated UTF-8 helpers for raw syscalls.</summary>
public static class Utf8
{
    public static byte[] Z(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}

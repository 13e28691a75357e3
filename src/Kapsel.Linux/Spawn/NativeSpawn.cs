using System.Runtime.InteropServices;

namespace Kapsel.Linux.Spawn;

/// <summary>The native trampoline's ABI (native/spawn.c): the structs it reads and its two entry points.</summary>
internal static unsafe partial class NativeSpawn
{
    private const string Lib = "kapselspawn";

    [StructLayout(LayoutKind.Sequential)]
    public struct Step
    {
        public long Nr;
        public long A0, A1, A2, A3, A4, A5;
        public uint Flags;
        public int TargetFd;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Plan
    {
        public ulong CloneFlags;
        public int ErrorFd;
        public int CgroupFd;
        public int StepCount;
        public int Reserved;
        public Step* Steps;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Failure
    {
        public int Step;
        public int Errno;
    }

    [LibraryImport(Lib, EntryPoint = "kapsel_spawn")]
    public static partial int Spawn(Plan* plan, int* pidfd);

    [LibraryImport(Lib, EntryPoint = "kapsel_spawn_abi")]
    public static partial int Abi();

    public static readonly int ExpectedAbi = sizeof(Step) * 1000 + sizeof(Plan);
}

using System.Diagnostics;
using Kapsel.Images;
using Kapsel.Images.Layers;
using Kapsel.Linux.Interop;
using Kapsel.Linux.Spawn;

namespace Kapsel.Engine.Instances;

/// <summary>
/// `cp` between the host and a container instance. The instance's side is always handled by a
/// process inside the instance's mount namespace — the host's static busybox `tar`, exec'd by fd
/// after setns — so paths (and any symlinks a hostile instance planted, races included) resolve
/// in the instance's own view, volumes included, and can never reach host files. The host's
/// side reads with GNU tar (copy in) or writes with Kapsel's safe layer unpacker (copy out).
/// </summary>
public sealed class InstanceCopy
{
    private const long SYS_execveat = 322;
    private const int AT_EMPTY_PATH = 0x1000;
    private const string Busybox = "/bin/busybox";

    /// <summary>Copies SRC inside the instance to DEST on the host (into DEST if it is a directory, else as DEST).</summary>
    public void CopyOut(Instance instance, string source, string destination)
    {
        var pid = RunningPid(instance);
        var (parent, name) = Split(source);
        var target = Directory.Exists(destination) ? Path.Combine(destination, name) : Path.GetFullPath(destination);
        var staging = Path.Combine(Path.GetDirectoryName(target)!, $".kapsel-cp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            var (read, write) = FileCalls.Pipe();
            int code;
            using (var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(read, ownsHandle: true), FileAccess.Read))
            {
                var child = SpawnInInstance(pid, ["tar", "-c", "-C", parent, name], stdin: -1, stdout: write);
                FileCalls.Close(write);
                using (child)
                {
                    LayerUnpacker.Unpack(reader, staging, new LayerUnpackOptions { OverlayWhiteouts = false });
                    code = child.Wait().Code;
                }
            }
            if (code != 0 || !Path.Exists(Path.Combine(staging, name)))
                throw new KapselException($"cannot copy {source} out of {instance.Name}: no such file or directory (or unreadable) inside it");
            if (Path.Exists(target) && !Directory.Exists(target)) File.Delete(target);
            Directory.Move(Path.Combine(staging, name), target);
        }
        finally { ImageStore.DeleteTree(staging); }
    }

    /// <summary>
    /// `cp INSTANCE:SRC -`: a tar stream of SRC (as it is named inside) written to <paramref name="output"/>,
    /// made inside the instance's view; the bytes pass through untouched, Kapsel never unpacks them.
    /// </summary>
    public void CopyOutAsTar(Instance instance, string source, int output)
    {
        var pid = RunningPid(instance);
        var (parent, name) = Split(source);
        if (Probe(pid, source) == "") throw new KapselException($"cannot copy {source} out of {instance.Name}: no such file or directory inside it");
        using var child = SpawnInInstance(pid, ["tar", "-c", "-C", parent, name], stdin: -1, stdout: output);
        var status = child.Wait();
        if (status.Signal == 13) throw new KapselException($"cannot copy {source} out of {instance.Name}: the reader of the tar stream went away (broken pipe)");
        if (status.Code != 0) throw new KapselException($"cannot copy {source} out of {instance.Name}: tar failed inside it (exit {status.Code})");
    }

    /// <summary>
    /// `cp - INSTANCE:DIR`: a tar stream read from <paramref name="input"/> is unpacked into the existing
    /// directory DIR by a tar inside the instance's view, so no entry can reach a host path.
    /// </summary>
    public void CopyInFromTar(Instance instance, int input, string destination)
    {
        var pid = RunningPid(instance);
        if (Probe(pid, destination) != "dir") throw new KapselException($"cannot copy into {instance.Name}:{destination}: with '-' as the source, the destination must be an existing directory");
        using var child = SpawnInInstance(pid, ["tar", "-x", "-C", destination], stdin: input, stdout: -1);
        var code = child.Wait().Code;
        if (code != 0) throw new KapselException($"cannot copy into {instance.Name}:{destination}: the tar stream on standard input was refused or not writable there (tar exit {code})");
    }

    /// <summary>Copies SRC on the host to DEST inside the instance (into DEST if it is an existing directory or ends with '/', else as DEST).</summary>
    public void CopyIn(Instance instance, string source, string destination)
    {
        var pid = RunningPid(instance);
        if (!Path.Exists(source)) throw new KapselException($"cannot copy {source}: no such file or directory");
        var (srcParent, srcName) = Split(Path.GetFullPath(source));
        var intoDirectory = destination.EndsWith('/') || Probe(pid, destination) == "dir";
        var (destDir, destName) = intoDirectory ? (destination.TrimEnd('/') is { Length: > 0 } d ? d : "/", srcName) : Split(destination);

        var (read, write) = FileCalls.Pipe();
        SpawnedProcess child;
        try { child = SpawnInInstance(pid, ["tar", "-x", "-C", destDir], stdin: read, stdout: -1); }
        finally { FileCalls.Close(read); }
        using (child)
        {
            // The host side: GNU tar of the source, renamed to the destination's name.
            var tar = new ProcessStartInfo("tar") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-c", "-C", srcParent, "--transform", $"s|^{EscapePattern(srcName)}|{EscapeReplacement(destName)}|", srcName }) tar.ArgumentList.Add(a);
            using (var writer = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(write, ownsHandle: true), FileAccess.Write))
            using (var host = Process.Start(tar)!)
            {
                host.StandardOutput.BaseStream.CopyTo(writer);
                host.WaitForExit();
                if (host.ExitCode != 0) throw new KapselException($"cannot read {source}: {host.StandardError.ReadToEnd().Trim()}");
            }
            if (child.Wait().Code != 0)
                throw new KapselException($"cannot copy into {instance.Name}:{destination}: the directory {destDir} does not exist inside it (or is not writable)");
        }
    }

    private static int RunningPid(Instance instance)
    {
        if (instance.Level == InstanceLevel.Chroot)
            throw new KapselException("cp is not available at the chroot level: its files are the image's overlay on the host");
        if (!InstanceControl.IsRunning(instance)) throw new KapselException($"instance {instance.Name} is not running (start it to copy files)");
        return instance.Pid!.Value;
    }

    /// <summary>"dir", "file" (a dangling symlink too) or "" (missing) for a path inside the instance.</summary>
    private string Probe(int pid, string path)
    {
        using var child = SpawnInInstance(pid, ["sh", "-c", "test -d \"$0\" && exit 3; test -e \"$0\" -o -L \"$0\" && exit 4; exit 0", path], -1, -1);
        return child.Wait().Code switch { 3 => "dir", 4 => "file", _ => "" };
    }

    /// <summary>The host's static busybox, exec'd by fd after joining the instance's mount namespace (its root and cwd become the instance's).</summary>
    private static SpawnedProcess SpawnInInstance(int pid, IReadOnlyList<string> argv, int stdin, int stdout)
    {
        if (!File.Exists(Busybox)) throw new KapselException($"cp needs the host's static busybox ({Busybox}): apt-get install busybox-static");
        var binary = FileCalls.Open(Busybox, FileCalls.O_RDONLY);
        var mountNs = FileCalls.Open($"/proc/{pid}/ns/mnt", FileCalls.O_RDONLY);
        var devNull = FileCalls.Open("/dev/null", FileCalls.O_RDWR);
        try
        {
            using var plan = new SpawnPlan();
            plan.Dup(binary, 20).Dup(mountNs, 21);
            plan.Dup(stdin >= 0 ? stdin : devNull, 0).Dup(stdout >= 0 ? stdout : devNull, 1).Dup(devNull, 2); // our own one-line errors say what failed
            plan.Setns(21, NamespaceCalls.CLONE_NEWNS, "the instance's mount namespace");
            plan.Chdir("/");
            plan.Syscall("execveat(host busybox)", SYS_execveat, 20, plan.Str(""), plan.StrArray(argv), plan.StrArray(["PATH=/bin"]), AT_EMPTY_PATH);
            var child = Spawner.Spawn(plan);
            child.WaitForExec();
            return child;
        }
        finally
        {
            FileCalls.Close(binary);
            FileCalls.Close(mountNs);
            FileCalls.Close(devNull);
        }
    }

    private static (string Parent, string Name) Split(string path)
    {
        var trimmed = path.TrimEnd('/');
        if (trimmed.Length == 0) throw new KapselException("cannot copy the root directory itself; name a path inside it");
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? (".", trimmed) : (slash == 0 ? "/" : trimmed[..slash], trimmed[(slash + 1)..]);
    }

    private static string EscapePattern(string s) => System.Text.RegularExpressions.Regex.Replace(s, @"[\\|.*\[\]^$]", m => "\\" + m.Value);
    private static string EscapeReplacement(string s) => System.Text.RegularExpressions.Regex.Replace(s, @"[\\|&]", m => "\\" + m.Value);
}

using System.Text.Json;
using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Commands;

/// <summary>list [--format table|json] [--quiet]: the containers under --root.</summary>
public static class ListCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "list", ["format|f"], ["quiet|q"]);
        var store = ctx.Store;
        var entries = new List<ContainerListEntry>();
        foreach (var id in store.Ids())
        {
            PersistedState s;
            try { s = store.Load(id); } catch (OciException) { continue; }
            var status = LiveStatus.Of(store, s);
            entries.Add(new ContainerListEntry
            {
                Id = id, Pid = status == ContainerStatus.Stopped ? 0 : s.Pid, Status = LiveStatus.Name(status), Bundle = s.Bundle,
                Rootfs = s.Rootfs, Created = s.Created, Owner = s.Owner, Annotations = s.Annotations,
            });
        }
        if (cl.Has("quiet")) { foreach (var e in entries) ctx.Out.WriteLine(e.Id); return 0; }
        if (cl.Get("format") is "json") { ctx.Out.WriteLine(JsonSerializer.Serialize(entries, OciJsonContext.Default.ListContainerListEntry)); return 0; }
        ctx.Out.WriteLine("ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER");
        foreach (var e in entries) ctx.Out.WriteLine($"{e.Id}\t{e.Pid}\t{e.Status}\t{e.Bundle}\t{e.Created}\t{e.Owner}");
        return 0;
    }
}

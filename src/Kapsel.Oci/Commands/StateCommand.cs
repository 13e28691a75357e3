using System.Text.Json;
using Kapsel.Oci.Runtime;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Commands;

/// <summary>state ID: the runtime-spec state document as JSON.</summary>
public static class StateCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "state", [], []);
        var doc = ContainerOps.StateOf(ctx, cl.Id("state"));
        var options = new JsonSerializerOptions(OciJsonContext.Default.Options) { WriteIndented = true };
        ctx.Out.WriteLine(JsonSerializer.Serialize(doc, new OciJsonContext(options).ContainerStateDocument));
        return 0;
    }
}

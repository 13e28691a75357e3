using System.Text.Json;
using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Commands;

/// <summary>spec [--rootless] [--bundle DIR]: writes a config.json with secure defaults.</summary>
public static class SpecCommand
{
    public static int Run(RuntimeContext ctx, string[] args)
    {
        var cl = CommandLine.Parse(args, "spec", ["bundle|b"], ["rootless"]);
        var bundle = cl.Get("bundle") ?? Directory.GetCurrentDirectory();
        var path = Path.Combine(bundle, "config.json");
        if (File.Exists(path)) throw new OciException($"spec: {path} already exists; remove it first");
        var spec = DefaultSpec.Create(cl.Has("rootless"));
        var options = new JsonSerializerOptions(OciJsonContext.Default.Options) { WriteIndented = true };
        File.WriteAllText(path, JsonSerializer.Serialize(spec, new OciJsonContext(options).RuntimeSpec) + "\n");
        return 0;
    }
}

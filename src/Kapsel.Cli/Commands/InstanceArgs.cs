using Kapsel.Engine;
using Kapsel.Engine.Instances;

namespace Kapsel.Cli.Commands;

/// <summary>Looking up the instances a command names, and running an action per instance docker-style (the PerName convention).</summary>
public static class InstanceArgs
{
    public static Instance Find(CliContext ctx, string nameOrId) =>
        ctx.Engine.Instances.Find(nameOrId) ?? throw new KapselException($"no such instance: {nameOrId}");

    public static int ForEach(CliContext ctx, IReadOnlyList<string> names, string command, Action<Instance> action, bool echo = true)
    {
        if (names.Count == 0) throw new UsageException($"\"kapsel {command}\" needs at least one INSTANCE");
        return PerName.Each(names, name =>
        {
            action(Find(ctx, name));
            if (echo) Console.Out.WriteLine(name);
        });
    }
}

using Kapsel.Images.Build;
using Kapsel.Images.Content;

namespace Kapsel.Engine.Build;

/// <summary>What `kapsel build` asks for.</summary>
public sealed record BuildOptions(
    string ContextDir,
    string? Containerfile = null,
    IReadOnlyList<string>? Tags = null,
    IReadOnlyDictionary<string, string>? BuildArgs = null,
    bool NoCache = false,
    string? Target = null,
    bool Quiet = false);

/// <summary>The built image: its final state, id (config digest), and how many steps ran or came from the cache.</summary>
public sealed record BuildResult(ImageState State, Digest ImageId, int Steps, int CachedSteps);

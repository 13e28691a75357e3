using System.Text.Json;

namespace Kapsel.Network.Firewall;

/// <summary>A rule in the table that carries a comment (Kapsel tags the rules it adds one by one).</summary>
public readonly record struct TaggedRule(string Chain, long Handle, string Comment);

/// <summary>A map element as nft syntax for its key ("\"kb-1234\"", "10.88.1.0/24") and the chain it jumps to.</summary>
public readonly record struct JumpElement(string Map, string Key, string Target);

/// <summary>
/// What the Kapsel table holds right now, from `nft -j list table`: chains, jump-map elements and
/// commented rules. Removal is computed from it so a batch never names a missing object (nft
/// 1.0.6 has no "destroy", and one failing command fails the whole batch).
/// </summary>
public sealed class NftTableSnapshot
{
    public static readonly NftTableSnapshot Empty = new(new HashSet<string>(), [], []);

    public IReadOnlySet<string> Chains { get; }
    public IReadOnlyList<JumpElement> Elements { get; }
    public IReadOnlyList<TaggedRule> Rules { get; }

    private NftTableSnapshot(IReadOnlySet<string> chains, IReadOnlyList<JumpElement> elements, IReadOnlyList<TaggedRule> rules) =>
        (Chains, Elements, Rules) = (chains, elements, rules);

    public static NftTableSnapshot Parse(string json)
    {
        var chains = new HashSet<string>(StringComparer.Ordinal);
        var elements = new List<JumpElement>();
        var rules = new List<TaggedRule>();
        using var doc = JsonDocument.Parse(json);
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (item.TryGetProperty("chain", out var chain)) chains.Add(chain.GetProperty("name").GetString()!);
            else if (item.TryGetProperty("map", out var map) && map.TryGetProperty("elem", out var elems))
            {
                var mapName = map.GetProperty("name").GetString()!;
                foreach (var elem in elems.EnumerateArray())
                {
                    // [key, {"jump": {"target": "chain"}}]
                    if (elem.ValueKind != JsonValueKind.Array || elem.GetArrayLength() != 2) continue;
                    if (!elem[1].TryGetProperty("jump", out var jump)) continue;
                    elements.Add(new JumpElement(mapName, KeySyntax(elem[0]), jump.GetProperty("target").GetString()!));
                }
            }
            else if (item.TryGetProperty("rule", out var rule) && rule.TryGetProperty("comment", out var comment))
                rules.Add(new TaggedRule(rule.GetProperty("chain").GetString()!, rule.GetProperty("handle").GetInt64(), comment.GetString()!));
        }
        return new NftTableSnapshot(chains, elements, rules);
    }

    private static string KeySyntax(JsonElement key) => key.ValueKind switch
    {
        JsonValueKind.String => $"\"{key.GetString()}\"",
        JsonValueKind.Object when key.TryGetProperty("prefix", out var p) =>
            $"{p.GetProperty("addr").GetString()}/{p.GetProperty("len").GetInt32()}",
        JsonValueKind.Object when key.TryGetProperty("range", out var r) => $"{r[0].GetString()}-{r[1].GetString()}",
        _ => key.ToString(),
    };
}

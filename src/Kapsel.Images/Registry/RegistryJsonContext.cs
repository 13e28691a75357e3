using System.Text.Json.Serialization;

namespace Kapsel.Images.Registry;

/// <summary>A token server's answer (distribution token spec: `token` or OAuth2's `access_token`).</summary>
public sealed class TokenResponse
{
    [JsonPropertyName("token")] public string? Token { get; set; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; set; }
    [JsonPropertyName("expires_in")] public int? ExpiresIn { get; set; }
}

/// <summary>The registry's error body: {"errors":[{"code":…,"message":…}]}.</summary>
public sealed class RegistryErrors
{
    [JsonPropertyName("errors")] public List<RegistryError>? Errors { get; set; }
}

public sealed class RegistryError
{
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}

[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(RegistryErrors))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;

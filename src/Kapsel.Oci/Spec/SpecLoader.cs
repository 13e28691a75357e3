using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kapsel.Oci.Spec;

/// <summary>
/// Reads config.json. Wrong JSON types become errors naming the field path. Unknown properties are
/// reported as warnings, not errors: runtime-spec config.md says runtimes MUST ignore unknown
/// properties (so newer configs keep working), and naming them still catches typos.
/// </summary>
public static class SpecLoader
{
    /// <summary>Reads and parses a config; with null <paramref name="warnings"/> unknown fields are not looked for (a saved copy, already checked).</summary>
    public static RuntimeSpec LoadFile(string path, List<string>? warnings, string label = "config.json")
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { throw new OciException($"{label}: not found at {path}"); }
        catch (DirectoryNotFoundException) { throw new OciException($"{label}: not found at {path}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new OciException($"{label}: cannot read {path}: {e.Message}"); }
        return Parse(text, warnings, label);
    }

    public static RuntimeSpec Parse(string json, List<string>? warnings, string label = "config.json") =>
        Parse(json, OciJsonContext.Default.RuntimeSpec, warnings, label);

    public static T Parse<T>(string json, JsonTypeInfo<T> type, List<string>? warnings, string label) where T : class
    {
        T? value;
        try { value = JsonSerializer.Deserialize(json, type); }
        catch (JsonException e) { throw new OciException($"{label}: {Describe(e)}", inner: e); }
        if (value is null) throw new OciException($"{label}: the document is null, expected an object");
        if (warnings is null) return value;
        using (var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }))
        {
            var problems = new List<string>();
            FindForbidden(doc.RootElement, type, "", problems);
            if (problems.Count > 0)
                throw new OciException($"{label}: {problems[0]}" + (problems.Count > 1 ? $" (and {problems.Count - 1} more such problems)" : ""));
            FindUnknown(doc.RootElement, type, "", warnings, label);
        }
        return value;
    }

    /// <summary>
    /// What the model cannot hold and would reach the kernel wrongly: null where the model has
    /// none (an array element, a property that is never null) and NUL bytes in strings, which a
    /// syscall would silently cut ("/bin/tr\0ue" would run /bin/tr). Annotations never reach a
    /// syscall and are left alone.
    /// </summary>
    private static void FindForbidden(JsonElement element, JsonTypeInfo type, string path, List<string> problems)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                if (element.GetString()!.Contains('\0')) problems.Add($"{path}: contains a NUL byte");
                return;
            case JsonValueKind.Object when type.Kind == JsonTypeInfoKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var info = type.Properties.FirstOrDefault(p => p.Name == property.Name);
                    if (info is null || info.Name == "annotations") continue;
                    var child = PathOf(path, property.Name);
                    if (property.Value.ValueKind == JsonValueKind.Null)
                    {
                        if (!info.IsSetNullable) problems.Add($"{child}: null is not allowed here");
                        continue;
                    }
                    FindForbidden(property.Value, type.Options.GetTypeInfo(info.PropertyType), child, problems);
                }
                return;
            case JsonValueKind.Array when type.Kind == JsonTypeInfoKind.Enumerable && type.ElementType is { } elementType:
                var i = 0;
                var elementInfo = type.Options.GetTypeInfo(elementType);
                foreach (var item in element.EnumerateArray())
                {
                    var child = $"{path}[{i++}]";
                    if (item.ValueKind == JsonValueKind.Null) problems.Add($"{child}: null is not allowed here");
                    else FindForbidden(item, elementInfo, child, problems);
                }
                return;
            case JsonValueKind.Object when type.Kind == JsonTypeInfoKind.Dictionary && type.ElementType is { } valueType:
                var valueInfo = type.Options.GetTypeInfo(valueType);
                foreach (var property in element.EnumerateObject())
                {
                    var child = $"{path}[\"{Kapsel.Linux.ErrorText.Value(property.Name)}\"]";
                    if (property.Name.Contains('\0')) problems.Add($"{child}: the key contains a NUL byte");
                    else if (property.Value.ValueKind == JsonValueKind.Null && !IsNullableValue(valueType)) problems.Add($"{child}: null is not allowed here");
                    else FindForbidden(property.Value, valueInfo, child, problems);
                }
                return;
        }
    }

    /// <summary>Map values are never null in this model except where the value type is an object that may be absent (netDevices).</summary>
    private static bool IsNullableValue(Type t) => Nullable.GetUnderlyingType(t) is not null;

    /// <summary>"linux.namespaces[2].type: ..." from the JsonException's $-path and message.</summary>
    private static string Describe(JsonException e)
    {
        var path = e.Path is { Length: > 0 } p ? p.TrimStart('$').TrimStart('.') : "";
        var message = e.Message;
        // System.Text.Json messages look like "The JSON value could not be converted to System.UInt32. Path: $.x | LineNumber: 3 ..."
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        var convert = "The JSON value could not be converted to ";
        if (message.StartsWith(convert, StringComparison.Ordinal))
            message = $"wrong type, expected {FriendlyType(message[convert.Length..].TrimEnd('.'))}";
        var where = e.LineNumber is { } line ? $" (line {line + 1})" : "";
        return path.Length > 0 ? $"{path}: {message}{where}" : $"{message}{where}";
    }

    private static string FriendlyType(string clr) => clr switch
    {
        "System.String" => "a string",
        "System.Boolean" => "true or false",
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "an integer",
        "System.UInt32" or "System.UInt64" or "System.UInt16" or "System.Nullable`1[System.UInt32]" or "System.Nullable`1[System.UInt64]"
            or "System.Nullable`1[System.UInt16]" => "a non-negative integer",
        _ when clr.Contains("List`1") => "an array",
        _ when clr.Contains("Dictionary`2") => "an object (map)",
        _ when clr.StartsWith("Kapsel.", StringComparison.Ordinal) => "an object",
        _ => clr,
    };

    /// <summary>Walks the document alongside the source-generated metadata and names every property the model lacks.</summary>
    private static void FindUnknown(JsonElement element, JsonTypeInfo type, string path, List<string> warnings, string label)
    {
        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var child = PathOf(path, property.Name);
                    var info = type.Properties.FirstOrDefault(p => p.Name == property.Name);
                    if (info is null)
                    {
                        warnings.Add($"{label}: {child}: unknown property ignored");
                        continue;
                    }
                    FindUnknown(property.Value, type.Options.GetTypeInfo(info.PropertyType), child, warnings, label);
                }
                break;
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && type.ElementType is { } elementType:
                var i = 0;
                var elementInfo = type.Options.GetTypeInfo(elementType);
                foreach (var item in element.EnumerateArray())
                    FindUnknown(item, elementInfo, $"{path}[{i++}]", warnings, label);
                break;
            case JsonTypeInfoKind.Dictionary when element.ValueKind == JsonValueKind.Object && type.ElementType is { } valueType:
                var valueInfo = type.Options.GetTypeInfo(valueType);
                foreach (var property in element.EnumerateObject())
                    FindUnknown(property.Value, valueInfo, $"{path}[\"{property.Name}\"]", warnings, label);
                break;
        }
    }

    private static string PathOf(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";
}

using System.Globalization;
using System.Text.Json;

namespace LineBridge.Bitrix24;

/// <summary>
/// Tolerant readers for Bitrix24 JSON: numbers often arrive as strings, booleans as <c>"Y"</c>/<c>"N"</c> or
/// <c>1</c>/<c>0</c>, and dates inside echoes as <c>{}</c>.
/// </summary>
internal static class Bitrix24Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = null,
    };

    public static string? AsString(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    public static long? AsLong(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt64(out var n) => n,
        JsonValueKind.Number => (long)e.GetDouble(),
        JsonValueKind.String when long.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        JsonValueKind.String when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)d,
        _ => null,
    };

    public static int? AsInt(JsonElement e) => AsLong(e) is { } n and >= int.MinValue and <= int.MaxValue ? (int)n : null;

    public static bool AsBool(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.Number => e.TryGetInt64(out var n) && n != 0,
        JsonValueKind.String => e.GetString() is { } s &&
            (s.Equals("Y", StringComparison.OrdinalIgnoreCase) || s == "1" || s.Equals("true", StringComparison.OrdinalIgnoreCase)),
        _ => false,
    };

    /// <summary>A property matched case-insensitively (Bitrix24 mixes <c>ID</c>, <c>id</c> and <c>Id</c>).</summary>
    public static bool TryGet(JsonElement e, string name, out JsonElement value)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            if (e.TryGetProperty(name, out value)) return true;
            foreach (var p in e.EnumerateObject())
            {
                if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) { value = p.Value; return true; }
            }
        }
        value = default;
        return false;
    }

    public static string? String(JsonElement e, string name) => TryGet(e, name, out var v) ? AsString(v) : null;
    public static int? Int(JsonElement e, string name) => TryGet(e, name, out var v) ? AsInt(v) : null;
    public static long? Long(JsonElement e, string name) => TryGet(e, name, out var v) ? AsLong(v) : null;
    public static bool Bool(JsonElement e, string name) => TryGet(e, name, out var v) && AsBool(v);

    /// <summary>Every scalar property as a string: the shape of Bitrix24's wide records (open lines, users).</summary>
    public static IReadOnlyDictionary<string, string> Scalars(JsonElement e)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (e.ValueKind != JsonValueKind.Object) return fields;
        foreach (var p in e.EnumerateObject())
        {
            if (AsString(p.Value) is { } s) fields[p.Name] = s;
        }
        return fields;
    }
}

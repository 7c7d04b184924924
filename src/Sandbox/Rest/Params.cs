using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LineBridge.Sandbox.Rest;

/// <summary>
/// Parses REST input the way PHP sees it: query strings and form bodies with bracket keys (<c>A[0][b]=1</c>) and JSON
/// bodies all become one JSON tree. Hostile input (deep nesting, bad JSON, too many keys) fails with 400.
/// </summary>
internal static class ParamParser
{
    public const int MaxDepth = 32;
    public const int MaxKeys = 20000;

    public static JsonObject ParseForm(string text, JsonObject? into = null)
    {
        var root = into ?? [];
        if (string.IsNullOrEmpty(text)) return root;
        var pairs = text.Split('&', StringSplitOptions.RemoveEmptyEntries);
        if (pairs.Length > MaxKeys) throw Invalid("Too many parameters");
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            var key = Decode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            Set(root, key, value);
        }
        return Normalize(root) as JsonObject ?? root;
    }

    public static JsonNode? ParseJson(string text)
    {
        try
        {
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth * 2 });
            // JsonObject materializes lazily; walking it now turns duplicate keys into a 400 here, not a 500 later.
            var count = 0;
            Walk(node, ref count);
            return node;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            throw Invalid("Request body is not valid JSON");
        }
    }

    private static void Walk(JsonNode? node, ref int count)
    {
        if (++count > MaxKeys * 10) throw Invalid("Request body is too complex");
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj) Walk(value, ref count);
                break;
            case JsonArray array:
                foreach (var value in array) Walk(value, ref count);
                break;
        }
    }

    private static string Decode(string s)
    {
        try { return WebUtility.UrlDecode(s); }
        catch (Exception) { throw Invalid("Malformed URL encoding"); }
    }

    private static RestException Invalid(string text) => new(400, ErrorCodes.InvalidRequest, text);

    private static void Set(JsonObject root, string key, string value)
    {
        var open = key.IndexOf('[');
        if (open <= 0)
        {
            if (key.Length > 0) root[key] = value;
            return;
        }
        var path = new List<string> { key[..open] };
        var rest = key[open..];
        while (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            if (close < 0) break;
            path.Add(rest[1..close]);
            rest = rest[(close + 1)..];
            if (path.Count > MaxDepth) throw Invalid("Parameters are nested too deeply");
        }
        JsonObject node = root;
        for (var i = 0; i < path.Count - 1; i++)
        {
            var segment = path[i].Length == 0 ? NextIndex(node) : path[i];
            if (node[segment] is not JsonObject child)
            {
                child = [];
                node[segment] = child;
            }
            node = child;
        }
        var last = path[^1].Length == 0 ? NextIndex(node) : path[^1];
        node[last] = value;
    }

    private static string NextIndex(JsonObject node)
    {
        var max = -1;
        foreach (var (k, _) in node)
        {
            if (int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > max) max = n;
        }
        return (max + 1).ToString(CultureInfo.InvariantCulture);
    }

    // PHP arrays with keys 0..n-1 are lists; turn such objects into JSON arrays so both encodings look alike.
    private static JsonNode? Normalize(JsonNode? node)
    {
        if (node is not JsonObject obj) return node;
        var keys = obj.Select(p => p.Key).ToList();
        foreach (var key in keys)
        {
            var child = obj[key];
            var normalized = Normalize(child);
            if (!ReferenceEquals(child, normalized))
            {
                obj.Remove(key);
                obj[key] = normalized;
            }
        }
        if (keys.Count == 0) return obj;
        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i] != i.ToString(CultureInfo.InvariantCulture)) return obj;
        }
        var array = new JsonArray();
        foreach (var key in keys)
        {
            var value = obj[key];
            obj.Remove(key);
            array.Add(value);
        }
        return array;
    }
}

/// <summary>Method parameters with case-insensitive top-level keys and PHP-like checks (<c>isset</c>, <c>empty</c>).</summary>
internal sealed class Params
{
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.OrdinalIgnoreCase);

    public Params(JsonObject source)
    {
        Source = source;
        foreach (var (key, value) in source) _values[key] = value;
    }

    public JsonObject Source { get; }

    public JsonNode? this[string name] => _values.GetValueOrDefault(name);

    public bool IsSet(string name) => this[name] is not null;

    public string? String(string name) => Php.AsString(this[name]);

    public string RequireString(string name)
    {
        var value = String(name);
        return string.IsNullOrEmpty(value) ? throw RestException.Argument(name) : value;
    }

    public int? Int(string name) => Php.AsInt(this[name]);
}

/// <summary>PHP's view of loosely typed values.</summary>
internal static class Php
{
    public static string? AsString(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "1",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    };

    public static int? AsInt(JsonNode? node)
    {
        var s = AsString(node);
        if (s is null) return null;
        if (int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) return n;
        if (double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is > int.MinValue and < int.MaxValue) return (int)d;
        return 0;
    }

    public static bool IsEmpty(JsonNode? node) => node switch
    {
        null => true,
        JsonArray a => a.Count == 0,
        JsonObject o => o.Count == 0,
        _ => AsString(node) is null or "" or "0",
    };

    public static bool IsTrue(JsonNode? node, bool acceptStrings)
    {
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True) return true;
        if (node is JsonValue n && n.GetValueKind() is JsonValueKind.Number) return AsString(n) != "0";
        if (!acceptStrings) return false;
        return AsString(node)?.Trim().ToUpperInvariant() is "Y" or "1" or "TRUE";
    }

    /// <summary>The connector icon's background colour, or Bitrix24's default.</summary>
    public static string AsColor(JsonObject icon) =>
        AsString(icon["COLOR"]) is { } color && System.Text.RegularExpressions.Regex.IsMatch(color, "^#[0-9a-fA-F]{3,8}$") ? color : "#90be00";

    /// <summary>The elements of a PHP array: a JSON array, or an object's values.</summary>
    public static List<JsonNode?>? Elements(JsonNode? node) => node switch
    {
        JsonArray a => [.. a],
        JsonObject o => [.. o.Select(p => p.Value)],
        _ => null,
    };

    /// <summary>A deep copy with object keys changed recursively (Bitrix24 lower- or upper-cases keys of some inputs).</summary>
    public static JsonNode? RecaseKeys(JsonNode? node, bool upper) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(
            upper ? p.Key.ToUpperInvariant() : p.Key.ToLowerInvariant(), RecaseKeys(p.Value, upper)))
            .DistinctBy(p => p.Key)),
        JsonArray a => new JsonArray([.. a.Select(e => RecaseKeys(e, upper))]),
        _ => node?.DeepClone(),
    };
}

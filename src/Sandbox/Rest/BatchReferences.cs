using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LineBridge.Sandbox.Rest;

/// <summary>
/// <c>$result[key][FIELD]</c> references inside <c>batch</c> commands, resolved as the server does
/// (bitrix-core-business <c>CRestUtil::processBatchStructure</c> / <c>processBatchElement</c>): after the command's query
/// was decoded, in every key and every value; a value that is exactly one reference becomes the referenced node itself
/// (it may be an array), a reference inside longer text is replaced by the referenced number or string and left as it
/// is when the target is anything else; a path segment that does not exist stops the walk where it is.
/// </summary>
internal static partial class BatchReferences
{
    // PCRE alternation takes the first that matches, so "$result_next[x]" resolves against "result" with the path
    // "_next[x]" on the real server too; the order below is the order of the server's result array.
    [GeneratedRegex(@"\$(result|result_error|result_total|result_next|result_time)([^\s]*)", RegexOptions.IgnoreCase)]
    private static partial Regex Reference();

    [GeneratedRegex(@"\[([^\]]+)\]")]
    private static partial Regex PathSegment();

    /// <summary>A copy of <paramref name="parameters"/> with references resolved against <paramref name="results"/>.</summary>
    public static JsonObject Resolve(JsonObject parameters, JsonObject results) => (JsonObject)Structure(parameters, results);

    private static JsonNode Structure(JsonNode node, JsonObject results)
    {
        var copy = new JsonObject();
        var entries = node switch
        {
            JsonObject o => o.Select(e => (e.Key, e.Value)).ToList(),
            JsonArray a => a.Select((v, i) => (i.ToString(CultureInfo.InvariantCulture), v)).ToList(),
            _ => [],
        };
        foreach (var (key, value) in entries)
        {
            var newKey = Element(key, results) is JsonValue k && k.TryGetValue<string>(out var text) ? text : key;
            copy[newKey] = value is JsonObject or JsonArray ? Structure(value, results) : ElementNode(value, results);
        }
        // Lists stay lists, as parse_str gives PHP arrays that json_encode prints the same way.
        return node is JsonArray ? new JsonArray([.. copy.Select(e => e.Value?.DeepClone())]) : copy;
    }

    private static JsonNode? ElementNode(JsonNode? value, JsonObject results) =>
        value is JsonValue v && v.TryGetValue<string>(out var text) ? Element(text, results) : value?.DeepClone();

    private static JsonNode? Element(string query, JsonObject results)
    {
        JsonNode? current = JsonValue.Create(query);
        foreach (Match match in Reference().Matches(query))
        {
            var segments = PathSegment().Matches(match.Groups[2].Value);
            if (segments.Count == 0) continue;
            var target = results[match.Groups[1].Value.ToLowerInvariant()];
            foreach (Match segment in segments)
            {
                var key = segment.Groups[1].Value;
                var next = target switch
                {
                    JsonObject o => o[key],
                    JsonArray a when int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                    _ => null,
                };
                if (next is null) break;
                target = next;
            }
            if (match.Value == query) return target?.DeepClone();
            var replacement = target is JsonValue t ? Php.AsString(t) : null;
            // Only numbers and strings are spliced into text; booleans and arrays leave the reference as it is.
            if (replacement is null || target is JsonValue b && b.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False) continue;
            current = JsonValue.Create(Php.AsString(current)!.Replace(match.Value, replacement, StringComparison.Ordinal));
        }
        return current;
    }
}

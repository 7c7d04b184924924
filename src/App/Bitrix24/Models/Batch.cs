using System.Text;
using System.Text.Json;

namespace LineBridge.Bitrix24.Models;

/// <summary>One command of a <c>batch</c>: a method and its parameters, flattened (<c>FILTER[ACTIVE]</c>).</summary>
public sealed record BatchCommand(string Method, IReadOnlyDictionary<string, string>? Parameters = null)
{
    /// <summary>
    /// A command whose parameters are <paramref name="parameters"/> serialized as the client serializes a call's body
    /// and flattened into PHP's nested keys (<c>MESSAGES[0][user][id]</c>), as the portal's <c>parse_str</c> reads them
    /// (protocol reference §5.4). Nulls and empty arrays are left out; <c>true</c>/<c>false</c> become <c>1</c>/<c>0</c>.
    /// </summary>
    public static BatchCommand Of(string method, object parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        var flat = new Dictionary<string, string>();
        Flatten(JsonSerializer.SerializeToElement(parameters, Bitrix24Json.Options), null, flat);
        return new BatchCommand(method, flat);
    }

    private static void Flatten(JsonElement value, string? key, Dictionary<string, string> into)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in value.EnumerateObject()) Flatten(p.Value, key is null ? p.Name : $"{key}[{p.Name}]", into);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var e in value.EnumerateArray())
                {
                    Flatten(e, $"{key}[{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}]", into);
                    i++;
                }
                break;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            case JsonValueKind.True:
                if (key is not null) into[key] = "1";
                break;
            case JsonValueKind.False:
                if (key is not null) into[key] = "0";
                break;
            default:
                if (key is not null) into[key] = Bitrix24Json.AsString(value) ?? "";
                break;
        }
    }

    /// <summary>The <c>method?a=1&amp;b=2</c> form Bitrix24 expects in <c>cmd</c>.</summary>
    public string ToQuery()
    {
        if (Parameters is null || Parameters.Count == 0) return Method;
        var query = new StringBuilder(Method).Append('?');
        var first = true;
        foreach (var (key, value) in Parameters)
        {
            if (!first) query.Append('&');
            query.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }
        return query.ToString();
    }
}

/// <summary>A failed command inside a batch.</summary>
public sealed record BatchError(string Code, string Description);

/// <summary>The answer of <c>batch</c>: results and errors by command key.</summary>
public sealed record BatchResult(
    IReadOnlyDictionary<string, JsonElement> Results,
    IReadOnlyDictionary<string, BatchError> Errors,
    IReadOnlyDictionary<string, int> Totals,
    IReadOnlyDictionary<string, int> Nexts)
{
    /// <summary>Each command's <c>time</c> block (<c>result_time</c>), by command key: its own processing and operating seconds.</summary>
    public IReadOnlyDictionary<string, Bitrix24Time> Times { get; init; } = new Dictionary<string, Bitrix24Time>();

    internal static BatchResult Parse(JsonElement result)
    {
        var results = new Dictionary<string, JsonElement>();
        var errors = new Dictionary<string, BatchError>();
        var totals = new Dictionary<string, int>();
        var nexts = new Dictionary<string, int>();
        foreach (var (key, value) in Entries(result, "result")) results[key] = value.Clone();
        foreach (var (key, value) in Entries(result, "result_error"))
        {
            errors[key] = value.ValueKind == JsonValueKind.Object
                ? new BatchError(Bitrix24Json.String(value, "error") ?? "", Bitrix24Json.String(value, "error_description") ?? "")
                : new BatchError(Bitrix24Json.AsString(value) ?? "", "");
        }
        foreach (var (key, value) in Entries(result, "result_total")) if (Bitrix24Json.AsInt(value) is { } t) totals[key] = t;
        foreach (var (key, value) in Entries(result, "result_next")) if (Bitrix24Json.AsInt(value) is { } n) nexts[key] = n;
        var times = new Dictionary<string, Bitrix24Time>();
        foreach (var (key, value) in Entries(result, "result_time")) if (Bitrix24Time.Of(value) is { } t) times[key] = t;
        return new BatchResult(results, errors, totals, nexts) { Times = times };
    }

    // PHP serializes an empty map as [] and a list-keyed one as an array; accept both.
    private static IEnumerable<KeyValuePair<string, JsonElement>> Entries(JsonElement result, string name)
    {
        if (!Bitrix24Json.TryGet(result, name, out var section)) yield break;
        if (section.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in section.EnumerateObject()) yield return new(p.Name, p.Value);
        }
        else if (section.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in section.EnumerateArray()) yield return new((i++).ToString(System.Globalization.CultureInfo.InvariantCulture), item);
        }
    }
}

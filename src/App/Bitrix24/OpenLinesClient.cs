using System.Runtime.CompilerServices;
using System.Text.Json;
using LineBridge.Bitrix24.Models;

namespace LineBridge.Bitrix24;

/// <summary>The open lines (<c>imopenlines.config.*</c>) of one portal (protocol reference §8).</summary>
public class OpenLinesClient
{
    private readonly Bitrix24Client? _client;

    /// <summary>For test doubles.</summary>
    protected internal OpenLinesClient() { }

    internal OpenLinesClient(Bitrix24Client client) => _client = client;

    private Bitrix24Client Client => _client ?? throw new InvalidOperationException("This OpenLinesClient is a test double.");

    /// <summary>Every open line, page by page as enumerated. REST: <c>imopenlines.config.list.get</c>.</summary>
    public virtual async IAsyncEnumerable<OpenLine> ListAsync(
        OpenLinesQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        query ??= new OpenLinesQuery();
        var pageSize = Math.Clamp(query.PageSize, 1, 200);
        var offset = 0;
        while (true)
        {
            var parameters = new Dictionary<string, object>
            {
                ["PARAMS"] = query.ActiveOnly
                    ? new { order = new { ID = "asc" }, filter = new { ACTIVE = "Y" }, limit = pageSize, offset }
                    : new { order = new { ID = "asc" }, limit = pageSize, offset },
            };
            var response = await Client.CallAsync(Bitrix24Methods.OpenLinesConfigList, parameters, cancellationToken);
            var count = 0;
            if (response.Result.ValueKind == JsonValueKind.Array)
            {
                foreach (var line in response.Result.EnumerateArray())
                {
                    count++;
                    yield return ToOpenLine(line);
                }
            }
            else if (response.Result.ValueKind == JsonValueKind.Object)
            {
                foreach (var line in response.Result.EnumerateObject())
                {
                    count++;
                    yield return ToOpenLine(line.Value);
                }
            }

            // The method pages by offset; a portal that also sends "next" is followed by it.
            if (response.Next is { } next && next > offset) { offset = next; continue; }
            if (count < pageSize) yield break;
            offset += count;
        }
    }

    /// <summary>One open line, or null when the portal knows no such line. REST: <c>imopenlines.config.get</c>.</summary>
    public virtual async Task<OpenLine?> GetAsync(int lineId, CancellationToken cancellationToken = default)
    {
        var response = await Client.CallAsync(Bitrix24Methods.OpenLinesConfigGet, new { CONFIG_ID = lineId }, cancellationToken);
        return response.Result.ValueKind == JsonValueKind.Object ? ToOpenLine(response.Result) : null;
    }

    internal static OpenLine ToOpenLine(JsonElement e) =>
        new(Bitrix24Json.Int(e, "ID") ?? 0, Bitrix24Json.String(e, "LINE_NAME") ?? "", Bitrix24Json.Bool(e, "ACTIVE"), Bitrix24Json.Scalars(e));
}

using System.Text.Json;
using LineBridge.Bitrix24.Models;

namespace LineBridge.Bitrix24;

/// <summary>Widget bindings (<c>placement.*</c>) of the app on one portal.</summary>
public class PlacementClient
{
    private readonly Bitrix24Client? _client;

    /// <summary>For test doubles.</summary>
    protected internal PlacementClient() { }

    internal PlacementClient(Bitrix24Client client) => _client = client;

    private Bitrix24Client Client => _client ?? throw new InvalidOperationException("This PlacementClient is a test double.");

    /// <summary>Binds a handler to a placement. REST: <c>placement.bind</c>.</summary>
    public virtual async Task<bool> BindAsync(PlacementBindRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var r = await Client.CallAsync(Bitrix24Methods.PlacementBind, new
        {
            PLACEMENT = request.Placement, HANDLER = request.Handler, TITLE = request.Title, DESCRIPTION = request.Description,
        }, cancellationToken);
        return Bitrix24Json.AsBool(r.Result);
    }

    /// <summary>Unbinds a placement handler; returns how many were removed. REST: <c>placement.unbind</c>.</summary>
    public virtual async Task<int> UnbindAsync(string placement, string? handler = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(placement);
        var r = await Client.CallAsync(Bitrix24Methods.PlacementUnbind, new { PLACEMENT = placement, HANDLER = handler }, cancellationToken);
        return Bitrix24Json.Int(r.Result, "count") ?? 0;
    }

    /// <summary>The app's placement bindings. REST: <c>placement.get</c>.</summary>
    public virtual async Task<IReadOnlyList<PlacementBinding>> GetAsync(CancellationToken cancellationToken = default)
    {
        var r = await Client.CallAsync(Bitrix24Methods.PlacementGet, null, cancellationToken);
        var list = new List<PlacementBinding>();
        if (r.Result.ValueKind != JsonValueKind.Array) return list;
        foreach (var e in r.Result.EnumerateArray())
        {
            list.Add(new PlacementBinding(Bitrix24Json.String(e, "placement") ?? "", Bitrix24Json.String(e, "handler") ?? "",
                Bitrix24Json.String(e, "title"), Bitrix24Json.Scalars(e)));
        }
        return list;
    }
}

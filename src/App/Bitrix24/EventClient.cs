using System.Text.Json;
using LineBridge.Bitrix24.Models;

namespace LineBridge.Bitrix24;

/// <summary>Event handler bindings (<c>event.*</c>) of the app on one portal (protocol reference §6.1).</summary>
public class EventClient
{
    private readonly Bitrix24Client? _client;

    /// <summary>For test doubles.</summary>
    protected internal EventClient() { }

    internal EventClient(Bitrix24Client client) => _client = client;

    private Bitrix24Client Client => _client ?? throw new InvalidOperationException("This EventClient is a test double.");

    /// <summary>Binds <paramref name="handler"/> to an event. REST: <c>event.bind</c>. A duplicate throws <c>ERROR_CORE</c>.</summary>
    public virtual async Task<bool> BindAsync(string eventName, string handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        ArgumentException.ThrowIfNullOrEmpty(handler);
        var r = await Client.CallAsync(Bitrix24Methods.EventBind, new { @event = eventName, handler }, cancellationToken);
        return Bitrix24Json.AsBool(r.Result);
    }

    /// <summary>Unbinds a handler; returns how many bindings were removed. REST: <c>event.unbind</c>.</summary>
    public virtual async Task<int> UnbindAsync(string eventName, string handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var r = await Client.CallAsync(Bitrix24Methods.EventUnbind, new { @event = eventName, handler }, cancellationToken);
        return Bitrix24Json.Int(r.Result, "count") ?? 0;
    }

    /// <summary>The app's event bindings. REST: <c>event.get</c>.</summary>
    public virtual async Task<IReadOnlyList<EventBinding>> GetAsync(CancellationToken cancellationToken = default)
    {
        var r = await Client.CallAsync(Bitrix24Methods.EventGet, null, cancellationToken);
        var list = new List<EventBinding>();
        if (r.Result.ValueKind != JsonValueKind.Array) return list;
        foreach (var e in r.Result.EnumerateArray())
        {
            list.Add(new EventBinding(
                Bitrix24Json.String(e, "event") ?? "", Bitrix24Json.String(e, "handler") ?? "",
                Bitrix24Json.String(e, "auth_type"), Bitrix24Json.Bool(e, "offline")));
        }
        return list;
    }
}

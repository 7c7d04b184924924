using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using LineBridge.Sandbox.State;

namespace LineBridge.Sandbox.Events;

/// <summary>
/// Delivers bound events as the portal's queue does (§6.2): form-encoded POST with <c>event</c>,
/// <c>event_handler_id</c>, <c>data[...]</c>, <c>ts</c> and <c>auth[...]</c>; asynchronous, never retried, only after
/// the install finished, connector events only to the app owning the connector.
/// </summary>
internal sealed class EventDispatcher(SandboxCore core)
{
    private readonly Channel<(SandboxPortal Portal, EventDeliveryRecord Record, string Body)> _queue =
        Channel.CreateUnbounded<(SandboxPortal, EventDeliveryRecord, string)>(new UnboundedChannelOptions { SingleReader = true });
    private long _nextId;
    private HttpClient? _http;
    private Task? _worker;

    public void Start(CancellationToken stopping)
    {
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            Timeout = core.Options.EventDeliveryTimeout,
        };
        _worker = Task.Run(() => RunAsync(stopping), CancellationToken.None);
    }

    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        if (_worker is not null) await _worker.ConfigureAwait(false);
        _http?.Dispose();
    }

    /// <summary>Queues an event for every matching binding. Call under the core's gate.</summary>
    /// <param name="connectorId">For connector events: only the app owning this connector receives them.</param>
    public void Fire(SandboxPortal portal, string eventName, JsonNode? data, int triggeringUserId, string? connectorId = null, bool withRefreshToken = false)
    {
        var state = portal.State;
        // The portal delivers nothing to an app whose install has not finished (§2.3).
        if (!state.AppAdded || !state.AppInstalled) return;
        string? owner = null;
        if (connectorId is not null)
        {
            owner = state.Connectors.FirstOrDefault(c => c.Id == connectorId)?.OwnerClientId;
            if (owner is null) return;
        }
        foreach (var binding in state.Bindings.Where(b => !b.Offline && b.Event == eventName).ToList())
        {
            if (owner is not null && binding.ClientId != owner) continue;
            var userId = binding.AuthType != 0 ? binding.AuthType : triggeringUserId;
            var fields = new List<KeyValuePair<string, string>>
            {
                new("event", eventName),
                new(core.Switches.EventHandlerIdField, binding.Id.ToString(CultureInfo.InvariantCulture)),
            };
            Flatten("data", data, fields);
            fields.Add(new("ts", core.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
            var auth = new JsonObject();
            // ONAPPUNINSTALL carries no tokens; events without a user carry only the portal's identity.
            if (userId > 0 && eventName != EventNames.AppUninstall)
            {
                var tokens = core.IssueTokens(state, userId, withRefresh: withRefreshToken);
                auth["access_token"] = tokens.AccessToken;
                if (tokens.RefreshToken is not null) auth["refresh_token"] = tokens.RefreshToken;
                auth["expires"] = tokens.Expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                auth["expires_in"] = tokens.ExpiresIn.ToString(CultureInfo.InvariantCulture);
                auth["scope"] = tokens.Scope;
            }
            auth["domain"] = portal.Domain;
            auth["server_endpoint"] = core.ServerEndpoint;
            auth["status"] = portal.Options.PlanStatus;
            auth["client_endpoint"] = portal.RestUri.ToString();
            auth["member_id"] = state.MemberId;
            if (userId > 0 && eventName != EventNames.AppUninstall) auth["user_id"] = userId.ToString(CultureInfo.InvariantCulture);
            auth["application_token"] = state.ApplicationToken;
            Flatten("auth", auth, fields);

            var record = new EventDeliveryRecord
            {
                Id = Interlocked.Increment(ref _nextId),
                Event = eventName,
                Handler = binding.Handler,
                BindingId = binding.Id,
                Data = data?.ToJsonString() ?? "null",
                Queued = core.Now,
            };
            portal.AddDelivery(record);
            var body = string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));
            _queue.Writer.TryWrite((portal, record, body));
        }
    }

    private TaskCompletionSource? _hold;

    /// <summary>Holds deliveries until the handle is disposed (see <c>SandboxHost.HoldEvents</c>).</summary>
    public IDisposable Hold()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _hold, hold, null) is not null) throw new InvalidOperationException("Events are already held.");
        return new Release(() => { Interlocked.Exchange(ref _hold, null); hold.TrySetResult(); });
    }

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        await foreach (var first in _queue.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (Volatile.Read(ref _hold) is { } hold) await hold.Task.WaitAsync(stopping).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            var batch = new List<(SandboxPortal, EventDeliveryRecord, string)> { first };
            if (core.Switches.EventsOutOfOrder)
            {
                while (_queue.Reader.TryRead(out var more)) batch.Add(more);
                batch.Reverse();
            }
            foreach (var delivery in batch) await DeliverAsync(delivery, stopping).ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync((SandboxPortal Portal, EventDeliveryRecord Record, string Body) delivery, CancellationToken stopping)
    {
        var (portal, record, body) = delivery;
        {
            if (stopping.IsCancellationRequested)
            {
                portal.CompleteDelivery(record, null, "sandbox stopped", core.Now);
                return;
            }
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
                using var response = await _http!.PostAsync(record.Handler, content, stopping).ConfigureAwait(false);
                portal.CompleteDelivery(record, (int)response.StatusCode, null, core.Now);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or OperationCanceledException or InvalidOperationException)
            {
                // Never retried, as on the real queue.
                portal.CompleteDelivery(record, null, ex.GetType().Name + ": " + ex.Message, core.Now);
            }
        }
    }

    /// <summary>PHP http_build_query: nested keys in brackets, every scalar a string, true as 1 and false as 0.</summary>
    public static void Flatten(string prefix, JsonNode? node, List<KeyValuePair<string, string>> into)
    {
        switch (node)
        {
            case null:
                break;
            case JsonObject obj:
                foreach (var (key, value) in obj) Flatten($"{prefix}[{key}]", value, into);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) Flatten($"{prefix}[{i}]", array[i], into);
                break;
            case JsonValue value:
                into.Add(new(prefix, value.GetValueKind() switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => "1",
                    JsonValueKind.False => "0",
                    _ => value.ToJsonString(),
                }));
                break;
        }
    }
}

internal sealed class EventDeliveryRecord
{
    public long Id { get; init; }
    public string Event { get; init; } = "";
    public string Handler { get; init; } = "";
    public int BindingId { get; init; }
    public string Data { get; init; } = "";
    public DateTimeOffset Queued { get; init; }
    public DateTimeOffset? Completed { get; set; }
    public int? Status { get; set; }
    public string? Failure { get; set; }

    public EventDelivery ToSnapshot() => new(Id, Event, Handler, BindingId, Data, Queued, Completed, Status, Failure);
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LineBridge.Observability;

namespace LineBridge.Bench;

/// <summary>
/// The app's own tally of outbox items per portal and method (<c>linebridge.outbox.deliveries</c> by outcome,
/// <c>linebridge.outbox.retries</c>), heard in-process. It sees what the portal's call log cannot: a command inside a
/// <c>batch</c> the portal refused (429 or 503 in <c>result_error</c>) is put back, so it counts as retried.
/// </summary>
internal sealed class DeliveryMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Portal, string Method, string Outcome), long> _counts = new();

    public DeliveryMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LineBridgeMetrics.MeterName &&
                instrument.Name is "linebridge.outbox.deliveries" or "linebridge.outbox.retries")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? portal = null, method = null, outcome = instrument.Name == "linebridge.outbox.retries" ? "retried" : null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "portal": portal = tag.Value as string; break;
                    case "method": method = tag.Value as string; break;
                    case "outcome": outcome = tag.Value as string; break;
                }
            }
            if (portal is null || method is null || outcome is null) return;
            _counts.AddOrUpdate((portal, method, outcome), value, (_, old) => old + value);
        });
        _listener.Start();
    }

    /// <summary>
    /// Items of <paramref name="method"/> (the dispatcher's name: <c>Send</c>, <c>Update</c>, <c>Delete</c>) to a portal so
    /// far: answered with success, answered with failure, put back for another attempt.
    /// </summary>
    public (long Succeeded, long Failed, long Retried) Of(string memberId, string method) =>
        (_counts.GetValueOrDefault((memberId, method, "success")), _counts.GetValueOrDefault((memberId, method, "failure")),
            _counts.GetValueOrDefault((memberId, method, "retried")));

    public void Dispose() => _listener.Dispose();
}

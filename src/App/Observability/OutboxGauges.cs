using System.Diagnostics.Metrics;
using LineBridge.Storage;

namespace LineBridge.Observability;

/// <summary>
/// The outbox's depth and age as gauges in the <c>LineBridge</c> meter, read from the store (so on PostgreSQL every
/// instance reports the shared outbox, not its own share): <c>linebridge.outbox.depth</c>, items waiting for the
/// portals, and <c>linebridge.outbox.age</c>, seconds since the oldest waiting item was accepted (0 when empty).
/// A growing age is the alert: work is stuck (a portal refusing, the app uninstalled, a line off, or no instance
/// delivering). One store read serves both gauges for a second, however often they are collected.
/// </summary>
public sealed class OutboxGauges : IHostedService
{
    private static readonly TimeSpan ReadEvery = TimeSpan.FromSeconds(1);

    private readonly IOutboxStore _outbox;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private (DateTimeOffset ReadAt, OutboxDepth Depth)? _last;

    /// <summary>Creates the two gauges on <paramref name="meterFactory"/>'s <c>LineBridge</c> meter.</summary>
    public OutboxGauges(IMeterFactory meterFactory, IOutboxStore outbox, TimeProvider time)
    {
        _outbox = outbox;
        _time = time;
        var meter = meterFactory.Create(LineBridgeMetrics.MeterName);
        meter.CreateObservableGauge("linebridge.outbox.depth", () => Read().Items, "{item}",
            "Outbox items waiting for the portals (queued, retrying or waiting for a gate), all instances together.");
        meter.CreateObservableGauge("linebridge.outbox.age", () => Age(), "s",
            "Seconds since the oldest waiting outbox item was accepted; 0 when the outbox is empty.");
    }

    private double Age()
    {
        var oldest = Read().OldestAcceptedAt;
        return oldest is { } at ? Math.Max(0, (_time.GetUtcNow().UtcDateTime - at.ToUniversalTime()).TotalSeconds) : 0;
    }

    private OutboxDepth Read()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_last is { } last && now - last.ReadAt < ReadEvery && now >= last.ReadAt) return last.Depth;
            var depth = _outbox.Depth();
            _last = (now, depth);
            return depth;
        }
    }

    // Hosted only so that the gauges exist from the start; there is nothing to run.
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

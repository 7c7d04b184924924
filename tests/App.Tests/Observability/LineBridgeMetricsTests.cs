using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Observability;

public sealed class LineBridgeMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DeliveriesRateLimitWaitsAndRefreshes_AreMeasuredPerPortal()
    {
        await using var app = await SandboxedApp.StartAsync(cancellationToken: Ct);
        using var recorder = new MetricsRecorder(app.Services.GetRequiredService<IMeterFactory>());
        var member = app.Portal.MemberId;
        var line = app.Portal.OpenLines[0].Id;
        await app.Clients.ForPortal(member).Connectors.ActivateAsync("linebridge", line, true, Ct);
        app.Services.GetRequiredService<LineConnections>().MarkConnected(member, line);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = app.BaseUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.Services.GetRequiredService<ApiKeys>().RotateAsync(member, Ct));

        var sent = await http.PostAsJsonAsync($"api/v1/lines/{line}/messages", new
        {
            messages = new[] { "m1", "m2" }.Select(id => new
            {
                user = new { id = "user-1", name = "Ann" }, chat = new { id = "c1", name = "Chat" }, message = new { id, text = "hello " + id },
            }),
        }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        await SandboxedApp.WaitUntilAsync(
            () => recorder.Sum("linebridge.outbox.deliveries", ("portal", member), ("outcome", "success")) >= 2, "both messages are delivered");
        app.Sandbox.Faults.ExpireAccessTokens();
        await app.Clients.ForPortal(member).App.InfoAsync(Ct);

        Assert.Equal(2, recorder.Sum("linebridge.outbox.deliveries", ("portal", member), ("outcome", "success")));
        Assert.Equal(0, recorder.Sum("linebridge.outbox.deliveries", ("portal", member), ("outcome", "failure")));
        Assert.Equal(1, recorder.Sum("linebridge.token.refreshes", ("portal", member), ("outcome", "refreshed")));
        Assert.True(recorder.Count("linebridge.ratelimit.wait", ("portal", member)) >= 2, "every REST call records its wait");
    }
}

/// <summary>Listens to the instruments of one app's meter factory only (other tests run in parallel).</summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    public MetricsRecorder(IMeterFactory scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Meter.Name == LineBridgeMetrics.MeterName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
        _listener.Start();
    }

    public double Sum(string name, params (string Key, object Value)[] tags) => Matching(name, tags).Sum(m => m.Value);

    public int Count(string name, params (string Key, object Value)[] tags) => Matching(name, tags).Count();

    private IEnumerable<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> Matching(string name, (string Key, object Value)[] tags) =>
        _measurements.Where(m => m.Name == name && tags.All(t => m.Tags.Any(x => x.Key == t.Key && Equals(x.Value, t.Value))));

    /// <summary>Asks the observable instruments (gauges) for their values now.</summary>
    public void Collect() => _listener.RecordObservableInstruments();

    /// <summary>The latest value recorded for <paramref name="name"/>.</summary>
    public double Last(string name) => _measurements.Last(m => m.Name == name).Value;

    public void Dispose() => _listener.Dispose();
}

public sealed class OutboxGaugesTests
{
    [Fact]
    public void DepthAndAge_FollowTheOutbox()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        using var db = new LiteDB.LiteDatabase(new MemoryStream());
        var store = new Storage.MessageStore(db, time);
        using var recorder = new MetricsRecorder(factory);
        var gauges = new OutboxGauges(factory, store.Outbox, time);
        Assert.NotNull(gauges);

        (double Depth, double Age) Observe()
        {
            recorder.Collect();
            return (recorder.Last("linebridge.outbox.depth"), recorder.Last("linebridge.outbox.age"));
        }

        Assert.Equal((0, 0), Observe());
        store.Add([Storage.Contracts.Sample.Message("m1"), Storage.Contracts.Sample.Message("m2")], "API", "API");
        time.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal((2, 90), Observe());
        Storage.Contracts.Sample.Deliver(store);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((0, 0), Observe());
    }
}

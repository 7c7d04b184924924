using System.Diagnostics;
using System.Globalization;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Messages;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Bench;

/// <summary>
/// <c>delivery</c>: sends and then edits delivered to the in-process sandbox at its ceiling. The sandbox charges its
/// default execution-cost model (1 ms per <c>MESSAGES</c> element + 10 ms per call) against an operating budget whose
/// window is shortened (the cloud's 480 s per 600 s scaled to the same 0.8 s of execution per second), so the steady
/// state shows within a minute. The ceiling is min(request bucket × elements per call, operating budget ÷ cost per
/// element); each phase prints its sustained rate after the first window as a share of that ceiling, and the 503 and
/// 429 answers it met.
/// </summary>
internal static class DeliveryBenchmark
{
    public static async Task<int> RunAsync(int seconds, double windowSeconds)
    {
        var limit = 0.8 * windowSeconds;
        const double perMessage = 0.001, perCall = 0.01;
        await using var app = await BenchApp.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["Bitrix24:Client:OperatingLimitSeconds"] = limit.ToString(CultureInfo.InvariantCulture),
                ["Bitrix24:Client:OperatingWindow"] = TimeSpan.FromSeconds(windowSeconds).ToString("c", CultureInfo.InvariantCulture),
            },
            portal: p =>
            {
                p.OperatingLimitSeconds = limit;
                p.OperatingWindow = TimeSpan.FromSeconds(windowSeconds);
                p.CostPerMessageSeconds = perMessage;
                p.CostPerMessageCallSeconds = perCall;
            });
        var service = app.Services.GetRequiredService<MessageService>();
        var store = app.Services.GetRequiredService<MessageStore>();
        var db = app.Services.GetRequiredService<LiteDatabase>();
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MessageOptions>>().Value;
        var member = app.Portal.MemberId;
        var n = options.BatchSize;
        var requestCeiling = 2.0 * n;
        var operatingCeiling = (limit / windowSeconds) / (perMessage + perCall / n);
        var ceiling = Math.Min(requestCeiling, operatingCeiling);
        Console.WriteLine($"sandbox: 2 requests/s, burst 50; operating {limit:F0} s per {windowSeconds:F0} s per method; cost {perMessage * 1000:F0} ms/element + {perCall * 1000:F0} ms/call");
        Console.WriteLine($"ceiling at {n} elements a call: requests {requestCeiling:F0}/s, operating {operatingCeiling:F0}/s -> {ceiling:F0}/s");

        // ---- sends: a producer keeps a backlog; the dispatcher delivers. ----
        var sent = 0;
        var ids = new List<ObjectId>();
        var started = DateTimeOffset.UtcNow;
        var samples = new List<(double Seconds, long Delivered)>();
        var clock = Stopwatch.StartNew();
        var sends = new CallCounter("imconnector.send.messages");
        long Delivered() => sends.Elements(app);
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds)))
        {
            while (!stop.IsCancellationRequested)
            {
                var delivered = Delivered();
                if (sent - delivered < 3 * n)
                {
                    var batch = Enumerable.Range(sent, 1000).Select(i => new ConnectorMessage(
                        new ConnectorUser { Id = "bench-user-" + (i % 50) },
                        new ConnectorMessageBody { Id = "bench-" + i, Text = "message " + i },
                        new ConnectorChat { Id = "bench-chat-" + (i % 50) })).ToList();
                    ids.AddRange(service.Send(member, app.Line, batch, ChangeAuthor.Api).Select(a => a.Record.Id));
                    sent += batch.Count;
                }
                samples.Add((clock.Elapsed.TotalSeconds, delivered));
                try { await Task.Delay(250, stop.Token); } catch (OperationCanceledException) { }
            }
        }
        Report("sends", samples, windowSeconds, ceiling, app, started, "imconnector.send.messages", limit);

        // ---- edits: every delivered message edited again and again; queued edits of one message coalesce. ----
        var versions = db.GetCollection(LineBridge.Storage.LiteDb.LiteDbMessageStore.VersionsCollection);
        long EditsSettled() => versions.LongCount("$.Kind = 'Edit' AND ($.Status = 'Sent' OR $.Status = 'Superseded')");
        long EditsPending() => versions.LongCount("$.Kind = 'Edit' AND $.Status = 'Queued'");
        var targets = ids.Take(Math.Max(2 * n, 1)).ToList();
        started = DateTimeOffset.UtcNow;
        samples.Clear();
        clock.Restart();
        var round = 0;
        var updates = new CallCounter("imconnector.update.messages");
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds)))
        {
            while (!stop.IsCancellationRequested)
            {
                if (EditsPending() < 2 * targets.Count)
                {
                    round++;
                    service.EditMany(member, targets.Select(id => (id, (int?)null, $"edit {round}")).ToList(), ChangeAuthor.Api);
                }
                samples.Add((clock.Elapsed.TotalSeconds, updates.Elements(app)));
                try { await Task.Delay(500, stop.Token); } catch (OperationCanceledException) { }
            }
        }
        Report("edits (update elements)", samples, windowSeconds, ceiling, app, started, "imconnector.update.messages", limit);
        Console.WriteLine($"edits accepted {round * targets.Count}, settled {EditsSettled()} (sent or superseded by a newer edit of the same message)");
        return 0;
    }

    /// <summary>Elements of successful calls of one method since it was made, counting only calls it has not seen.</summary>
    private sealed class CallCounter(string method)
    {
        private int _seen = -1;
        private long _elements;

        public long Elements(BenchApp app)
        {
            var calls = app.Portal.Calls;
            if (_seen < 0) _seen = calls.Count;
            for (; _seen < calls.Count; _seen++)
            {
                if (calls[_seen].Method == method && calls[_seen].Status == 200) _elements += DeliveryBenchmark.Elements(calls[_seen].Parameters);
            }
            return _elements;
        }
    }

    private static int Elements(string parameters)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(parameters);
        var list = node?["MESSAGES"] ?? node?["messages"];
        return list is System.Text.Json.Nodes.JsonArray a ? a.Count : list is System.Text.Json.Nodes.JsonObject o ? o.Count : 0;
    }

    private static void Report(string name, List<(double Seconds, long Delivered)> samples, double windowSeconds, double ceiling,
        BenchApp app, DateTimeOffset started, string method, double limit)
    {
        // The portal charges its real handling time too (large on a loaded machine): the ceiling it actually allows
        // follows from the cost per element it reported (time.processing), which the app measured.
        var measured = app.Services.GetRequiredService<LineBridge.Bitrix24.Bitrix24OperatingBudget>().SecondsPerItem(app.Portal.MemberId, method);
        if (measured is > 0)
        {
            var real = Math.Min(2.0 * app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MessageOptions>>().Value.BatchSize,
                limit / windowSeconds / measured.Value);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name}: measured cost {measured.Value * 1000:F2} ms/element (model + real handling) -> ceiling {real:F0}/s"));
            ceiling = real;
        }
        var from = samples.FirstOrDefault(s => s.Seconds >= windowSeconds);
        var last = samples.Count > 0 ? samples[^1] : default;
        var sustained = last.Seconds > from.Seconds ? (last.Delivered - from.Delivered) / (last.Seconds - from.Seconds) : 0;
        var calls = app.Portal.Calls.Where(c => c.Time >= started && c.Method == method).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-26} {last.Delivered,7} in {last.Seconds:F0} s; sustained after {windowSeconds:F0} s: {sustained:F1}/s = {100 * sustained / ceiling:F1} % of the ceiling; " +
            $"{calls.Count} calls, {(calls.Count > 0 ? calls.Average(c => Elements(c.Parameters)) : 0):F0} elements a call; " +
            $"503: {calls.Count(c => c.Status == 503)}, 429: {calls.Count(c => c.Status == 429)}"));
    }
}

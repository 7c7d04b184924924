using System.Globalization;
using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Messages;
using LineBridge.Sandbox;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LineBridge.Bench;

/// <summary>
/// <c>delivery</c>: sends and then edits delivered to the in-process sandbox at its ceiling, over <c>--lines</c> busy
/// lines of one portal, then the naive client on a second portal. The sandbox charges its default execution-cost model
/// (1 ms per <c>MESSAGES</c> element + 10 ms per call) against an operating budget whose window is shortened (the
/// cloud's 480 s per 600 s scaled to the same 0.8 s of execution per second), so the steady state shows within a
/// minute. The ceiling is min(request bucket × elements per call, operating budget ÷ cost per element); each phase
/// prints its sustained rate after the first window as a share of that ceiling, its plain calls and <c>batch</c>
/// requests, the elements carried inside <c>batch</c> commands, the spread over the lines, and the 503 and 429 answers
/// met. The naive client makes one <c>imconnector.send.messages</c> call per message through the app's typed client
/// (paced to the request bucket), each awaited, on a portal of its own so that it starts with a full bucket and an
/// unused budget, as LineBridge's phases did, and after them so that it does not compete with them for the CPU.
/// </summary>
internal static class DeliveryBenchmark
{
    /// <summary>The dispatcher's rate before issue 15: 50 elements a call, one call in flight, 2 requests/s.</summary>
    private const double RateBefore = 100;

    private const double PerMessage = 0.001, PerCall = 0.01;

    public static async Task<int> RunAsync(int seconds, double windowSeconds, int lineCount)
    {
        if (lineCount < 1 || seconds <= windowSeconds)
        {
            Console.WriteLine("--lines must be at least 1 and --seconds longer than --window.");
            return 1;
        }
        var limit = 0.8 * windowSeconds;
        void Limits(SandboxPortalOptions p)
        {
            p.OperatingLimitSeconds = limit;
            p.OperatingWindow = TimeSpan.FromSeconds(windowSeconds);
            p.CostPerMessageSeconds = PerMessage;
            p.CostPerMessageCallSeconds = PerCall;
        }
        var naivePortal = new SandboxPortalOptions { Host = "127.0.0.3" };
        Limits(naivePortal);
        using var metrics = new DeliveryMetrics();
        await using var app = await BenchApp.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["Bitrix24:Client:OperatingLimitSeconds"] = limit.ToString(CultureInfo.InvariantCulture),
                ["Bitrix24:Client:OperatingWindow"] = TimeSpan.FromSeconds(windowSeconds).ToString("c", CultureInfo.InvariantCulture),
            },
            portal: p =>
            {
                Limits(p);
                p.OpenLineCount = BenchApp.OpenLinesFor(lineCount);
            },
            morePortals: [naivePortal]);
        var lines = await app.ConnectLinesAsync(app.Portal, lineCount);
        await app.WaitForEmptyBucketAsync();
        var service = app.Services.GetRequiredService<MessageService>();
        var db = app.Services.GetRequiredService<LiteDatabase>();
        var n = app.Services.GetRequiredService<IOptions<MessageOptions>>().Value.BatchSize;
        var member = app.Portal.MemberId;
        var requestCeiling = 2.0 * n;
        var operatingCeiling = (limit / windowSeconds) / (PerMessage + PerCall / n);
        var ceiling = Math.Min(requestCeiling, operatingCeiling);
        var load = Load();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sandbox: 2 requests/s, burst 50; operating {limit:F0} s per {windowSeconds:F0} s per method; cost {PerMessage * 1000:F0} ms/element + {PerCall * 1000:F0} ms/call; " +
            $"{lines.Count} busy line(s) ({string.Join(",", lines)}); load average {load}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ceiling at {n} elements a call: requests {requestCeiling:F0}/s, operating {operatingCeiling:F0}/s -> {ceiling:F0}/s"));

        // ---- sends: a producer keeps a backlog spread over the lines; the dispatcher delivers. ----
        var sent = 0;
        var ids = lines.ToDictionary(l => l, _ => new List<ObjectId>());
        var sends = new MessageCalls.Tally(app.Portal, Bitrix24Methods.SendMessages);
        var whole = new MessageCalls.Tally(app.Portal, Bitrix24Methods.SendMessages);
        var sendsBefore = metrics.Of(member, "Send");
        var budget = app.Services.GetRequiredService<Bitrix24OperatingBudget>();
        var sendCosts = new List<double?>();
        long ReadSends()
        {
            var delivered = sends.Update();
            sendCosts.Add(budget.SecondsPerItem(member, Bitrix24Methods.SendMessages));
            return delivered;
        }
        var samples = await Sampling.RunAsync(seconds, TimeSpan.FromMilliseconds(250), ReadSends, () =>
        {
            if (sent - sends.Elements < 3 * n)
            {
                // 1,000 messages a top-up, shared out over the lines, one transaction per line.
                for (var k = 0; k < lines.Count; k++)
                {
                    var line = lines[k];
                    var count = 1000 / lines.Count + (k < 1000 % lines.Count ? 1 : 0);
                    var batch = Enumerable.Range(sent, count).Select(i => new ConnectorMessage(
                        new ConnectorUser { Id = "bench-user-" + (i % 50) },
                        new ConnectorMessageBody { Id = "bench-" + i, Text = "message " + i },
                        new ConnectorChat { Id = $"bench-chat-{line}-{i % 50}" })).ToList();
                    ids[line].AddRange(service.Send(member, line, batch, ChangeAuthor.Api).Select(a => a.Record.Id));
                    sent += count;
                }
            }
        });
        var sendRate = Report("sends", samples, sendCosts, windowSeconds, ceiling, app, limit, sends, lines,
            Delta(metrics.Of(member, "Send"), sendsBefore));

        // The send backlog drains before the edits start, so the edits phase has the request bucket to itself.
        var drain = System.Diagnostics.Stopwatch.StartNew();
        while (sends.Update() < sent && drain.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(250);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  send backlog drained in {drain.Elapsed.TotalSeconds:F1} s: {sends.Elements} of {sent} accepted sends delivered"));

        // ---- edits: delivered messages of every line edited again and again; queued edits of one message coalesce. ----
        var versions = db.GetCollection(LineBridge.Storage.LiteDb.LiteDbMessageStore.VersionsCollection);
        long EditsSettled() => versions.LongCount("$.Kind = 'Edit' AND ($.Status = 'Sent' OR $.Status = 'Superseded')");
        long EditsPending() => versions.LongCount("$.Kind = 'Edit' AND $.Status = 'Queued'");
        var perLine = Math.Max(2 * n / lines.Count, 1);
        var targets = lines.SelectMany(l => ids[l].Take(perLine)).ToList();
        var round = 0;
        var updates = new MessageCalls.Tally(app.Portal, Bitrix24Methods.UpdateMessages);
        var updatesBefore = metrics.Of(member, "Update");
        var updateCosts = new List<double?>();
        long ReadUpdates()
        {
            var delivered = updates.Update();
            updateCosts.Add(budget.SecondsPerItem(member, Bitrix24Methods.UpdateMessages));
            return delivered;
        }
        samples = await Sampling.RunAsync(seconds, TimeSpan.FromMilliseconds(500), ReadUpdates, () =>
        {
            if (EditsPending() < 2 * targets.Count)
            {
                round++;
                service.EditMany(member, targets.Select(id => (id, (int?)null, $"edit {round}")).ToList(), ChangeAuthor.Api);
            }
        });
        var editRate = Report("edits (update elements)", samples, updateCosts, windowSeconds, ceiling, app, limit, updates, lines,
            Delta(metrics.Of(member, "Update"), updatesBefore));
        Console.WriteLine($"  edits accepted {round * targets.Count} ({targets.Count} messages, {perLine} a line), settled {EditsSettled()} (sent or superseded by a newer edit of the same message)");
        whole.Update();
        Console.WriteLine($"  LineBridge's portal over both phases and the drain: 503: {whole.Refused503}, 429: {whole.Refused429}");

        // ---- naive: one imconnector.send.messages call per message, each awaited, on a portal of its own. ----
        var naive = app.Sandbox.Portals[1];
        var naiveLine = app.Lines[naive.MemberId];
        var connectors = app.Services.GetRequiredService<Bitrix24ClientFactory>().ForPortal(naive.MemberId).Connectors;
        var naiveCalls = new MessageCalls.Tally(naive, Bitrix24Methods.SendMessages);
        var (naiveSamples, failures) = await Sampling.NaiveAsync(seconds, (i, ct) => connectors.SendMessagesAsync(new ConnectorMessagesRequest("linebridge", naiveLine,
        [
            new ConnectorMessage(new ConnectorUser { Id = "naive-user-" + (i % 50) }, new ConnectorMessageBody { Id = "naive-" + i, Text = "message " + i },
                new ConnectorChat { Id = "naive-chat-" + (i % 50) }),
        ]), ct));
        naiveCalls.Update();
        var naiveRate = Sampling.Sustained(naiveSamples, windowSeconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"naive (one call a message)",-26} {(naiveSamples.Count > 0 ? naiveSamples[^1].Delivered : 0),7} in {seconds} s; sustained after {windowSeconds:F0} s: {naiveRate:F1}/s; " +
            $"{naiveCalls.PlainCalls} calls; 503: {naiveCalls.Refused503}, 429: {naiveCalls.Refused429}; failed after the client's retries: {failures}"));

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"LineBridge, {lines.Count} line(s): sends {sendRate:F0}/s = {sendRate / RateBefore:F1}x before ({RateBefore:F0}/s), edits {editRate:F0}/s = {editRate / RateBefore:F1}x before; " +
            $"naive client {naiveRate:F1}/s -> LineBridge's sends {sendRate / Math.Max(naiveRate, 0.001):F0}x the naive client; load average {Load()} (at start {load})"));
        return 0;
    }

    private static (long, long, long) Delta((long Succeeded, long Failed, long Retried) now, (long Succeeded, long Failed, long Retried) before) =>
        (now.Succeeded - before.Succeeded, now.Failed - before.Failed, now.Retried - before.Retried);

    /// <summary>Prints one phase; returns its sustained rate.</summary>
    /// <param name="costs">The app's measured seconds per element at each sample (index-aligned with <paramref name="samples"/>).</param>
    private static double Report(string name, List<Sample> samples, List<double?> costs, double windowSeconds, double ceiling, BenchApp app, double limit,
        MessageCalls.Tally tally, IReadOnlyList<int> lines, (long Succeeded, long Failed, long Retried) appTally)
    {
        // The portal charges its real handling time too (large on a loaded machine): the ceiling it actually allows
        // follows from the cost per element it reported (time.processing), which the app measures as a moving
        // average. Over the sustained interval the mean cost is that average at each sample weighted by the elements
        // delivered since the sample before (the last value alone swings with one slow call).
        double weight = 0, sum = 0;
        for (var i = 1; i < samples.Count; i++)
        {
            if (samples[i - 1].Seconds < windowSeconds || costs[i] is not > 0) continue;
            var delivered = samples[i].Delivered - samples[i - 1].Delivered;
            weight += delivered;
            sum += delivered * costs[i]!.Value;
        }
        var measured = weight > 0 ? sum / weight : costs.LastOrDefault(c => c is > 0);
        var perCommand = tally.Commands > 0 ? tally.Elements / (double)tally.Commands : 0;
        if (measured is > 0)
        {
            var real = Math.Min(2.0 * app.Services.GetRequiredService<IOptions<MessageOptions>>().Value.BatchSize, limit / windowSeconds / measured.Value);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name}: measured cost {measured.Value * 1000:F2} ms/element over the sustained interval (model + real handling) -> ceiling {real:F0}/s"));
            ceiling = real;
            // The portal refuses a call only once the sum already exceeds the budget, so the call that crosses it still
            // runs: each window can carry up to one call more than the budget (more with several calls out at once).
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name}: a call of {perCommand:F0} elements runs {measured.Value * perCommand:F2} s; the call that crosses the {limit:F0} s budget still completes, " +
                $"so a window may carry +{100 * measured.Value * perCommand / limit:F1} % per call out when it crosses"));
        }
        var last = samples.Count > 0 ? samples[^1] : default;
        var sustained = Sampling.Sustained(samples, windowSeconds);
        var perLine = lines.Select(l => tally.PerLine.GetValueOrDefault(l)).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-26} {last.Delivered,7} in {last.Seconds:F0} s; sustained after {windowSeconds:F0} s: {sustained:F1}/s = {100 * sustained / ceiling:F1} % of the ceiling; " +
            $"{tally.PlainCalls} plain calls + {tally.BatchRequests} batch requests ({tally.BatchElements} elements inside batch commands), {perCommand:F0} elements a command; " +
            $"per line min {perLine.Min()} / max {perLine.Max()}; 503: {tally.Refused503}, 429: {tally.Refused429}"));
        // The request bucket's bound at the shape LineBridge chose: 2 requests/s, each carrying what its requests did on average.
        var requests = tally.PlainCalls + tally.BatchRequests;
        if (requests > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name}: {tally.Elements / (double)requests:F0} elements a request -> at 2 requests/s the bucket carries {2.0 * tally.Elements / requests:F0}/s at this shape"));
        }
        Console.WriteLine($"  the app's own tally: {appTally.Succeeded} delivered, {appTally.Failed} failed, {appTally.Retried} put back for another attempt");
        return sustained;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}

using System.Diagnostics;
using System.Globalization;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Messages;
using LineBridge.Sandbox;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Bench;

/// <summary>
/// <c>many-portals</c>: one app instance with many installed portals (issue 15: 200, 10 of them saturated). The saturated
/// portals always have a backlog their portal cannot take at once: the sandbox charges them 20 ms of execution per
/// <c>MESSAGES</c> element against an operating budget of 0.8 s per second, so each takes about 40 elements/s and the
/// rest waits. Meanwhile single messages go to random quiet portals, and each one's time from accepted to delivered
/// (its outbox item completed as Sent) is measured. Target: p99 ≤ 1 s, i.e. no quiet portal waits behind a saturated one.
/// </summary>
internal static class ManyPortalsBenchmark
{
    private const double Window = 10;
    private const double SaturatedCostPerElement = 0.02;
    private const int Backlog = 2_000;

    public static async Task<int> RunAsync(int portals, int saturated, int seconds, double quietPerSecond, string provider)
    {
        await using var cluster = provider == "postgresql" ? await PrivatePostgres.StartAsync() : null;
        var database = cluster is null ? null : await cluster.CreateDatabaseAsync("many_portals");
        if (portals < 2 || saturated < 1 || saturated >= portals) throw new ArgumentException("Need 1 <= saturated < portals.");
        var limit = 0.8 * Window;
        void Configure(SandboxPortalOptions p, int index)
        {
            p.OperatingLimitSeconds = limit;
            p.OperatingWindow = TimeSpan.FromSeconds(Window);
            if (index < saturated) p.CostPerMessageSeconds = SaturatedCostPerElement;
        }
        var more = Enumerable.Range(1, portals - 1).Select(i =>
        {
            var p = new SandboxPortalOptions { Host = $"127.0.{2 + i / 250}.{1 + i % 250}", OpenLineCount = 1 };
            Configure(p, i);
            return p;
        }).ToList();

        var setup = Stopwatch.StartNew();
        await using var app = await BenchApp.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["Storage:Provider"] = database is null ? "LiteDb" : "PostgreSql",
                ["ConnectionStrings:LineBridge"] = database,
                ["Bitrix24:Client:OperatingLimitSeconds"] = limit.ToString(CultureInfo.InvariantCulture),
                ["Bitrix24:Client:OperatingWindow"] = TimeSpan.FromSeconds(Window).ToString("c", CultureInfo.InvariantCulture),
            },
            portal: p => Configure(p, 0),
            morePortals: more);
        setup.Stop();
        var service = app.Services.GetRequiredService<MessageService>();
        var store = app.Services.GetRequiredService<MessageStore>();
        var all = app.Sandbox.Portals;
        var busy = all.Take(saturated).ToList();
        var quiet = all.Skip(saturated).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{provider}: {all.Count} portals installed in {setup.Elapsed.TotalSeconds:F0} s; {busy.Count} saturated (backlog kept at {Backlog}, {SaturatedCostPerElement * 1000:F0} ms/element " +
            $"-> about {0.8 / SaturatedCostPerElement:F0} elements/s each), {quiet.Count} quiet; a message to a random quiet portal {quietPerSecond:F0} times a second for {seconds} s"));

        // The saturated portals: their backlog is kept topped up from the start, and given a head start to build up.
        var sent = 0;
        var minBacklog = int.MaxValue;
        var measuringPhase = 0;
        using var over = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            var measuring = false;
            while (!over.IsCancellationRequested)
            {
                foreach (var p in busy)
                {
                    var pending = store.Outbox.CountPending(p.MemberId, app.Lines[p.MemberId]);
                    if (measuring) minBacklog = Math.Min(minBacklog, pending);
                    if (pending >= Backlog) continue;
                    var batch = Enumerable.Range(0, 100).Select(_ =>
                    {
                        var i = Interlocked.Increment(ref sent);
                        return new ConnectorMessage(new ConnectorUser { Id = "busy-user-" + (i % 20) }, new ConnectorMessageBody { Id = "busy-" + i, Text = "busy " + i },
                            new ConnectorChat { Id = "busy-chat-" + (i % 20) });
                    }).ToList();
                    service.Send(p.MemberId, app.Lines[p.MemberId], batch, ChangeAuthor.Api);
                }
                measuring = Volatile.Read(ref measuringPhase) == 1;
                try { await Task.Delay(200, over.Token); } catch (OperationCanceledException) { }
            }
        });
        await Task.Delay(TimeSpan.FromSeconds(5));
        Volatile.Write(ref measuringPhase, 1);
        var phaseStart = DateTimeOffset.UtcNow;

        // The quiet portals: a message to a random one at a steady pace (its own task, so a slow accept delays only the
        // next send); a second task watches for each to be delivered (its record says Sent), every 10 ms.
        var random = new Random(15);
        var pendingQuiet = new System.Collections.Concurrent.ConcurrentDictionary<ObjectId, (string MemberId, long At)>();
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var n = 0;
        var sender = Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            for (var next = 0.0; clock.Elapsed.TotalSeconds < seconds; next += 1 / quietPerSecond)
            {
                var wait = TimeSpan.FromSeconds(next) - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                var p = quiet[random.Next(quiet.Count)];
                var id = "quiet-" + n++;
                var added = service.Send(p.MemberId, app.Lines[p.MemberId], [new ConnectorMessage(
                    new ConnectorUser { Id = "quiet-user" }, new ConnectorMessageBody { Id = id, Text = id }, new ConnectorChat { Id = "quiet-chat" })], ChangeAuthor.Api);
                pendingQuiet[added[0].Record.Id] = (p.MemberId, Stopwatch.GetTimestamp());
            }
        });
        var deadline = Stopwatch.StartNew();
        while (!sender.IsCompleted || (!pendingQuiet.IsEmpty && deadline.Elapsed.TotalSeconds < seconds + 30))
        {
            foreach (var (id, (member, at)) in pendingQuiet)
            {
                if (store.Get(member, id)?.Status != MessageStatus.Sent) continue;
                latencies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
                pendingQuiet.TryRemove(id, out _);
            }
            await Task.Delay(10);
        }
        await sender;
        over.Cancel();
        await producer;

        var sorted = latencies.Order().ToList();
        double P(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        var busyCalls = busy.SelectMany(p => p.Calls).Where(c => c.Time >= phaseStart && c.Method == "imconnector.send.messages").ToList();
        var quietCalls = quiet.SelectMany(p => p.Calls).Where(c => c.Time >= phaseStart).ToList();
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"quiet messages: {n} sent, {sorted.Count} delivered, {pendingQuiet.Count} not delivered 30 s after the run; accepted -> Sent " +
            $"p50 {P(0.5):F0} ms, p90 {P(0.9):F0} ms, p99 {P(0.99):F0} ms, max {(sorted.Count > 0 ? sorted[^1] : double.NaN):F0} ms; " +
            $"within 1 s: {sorted.Count(l => l <= 1000)} of {n}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"saturated portals: {busy.SelectMany(p => p.Calls).Where(c => c.Time >= phaseStart && c.Status == 200).SelectMany(MessageCalls.Of)
                .Where(c => c.Method == "imconnector.send.messages").Sum(c => c.Elements)} elements delivered in {seconds} s " +
            $"({busyCalls.Count} send calls), backlog never below {(minBacklog == int.MaxValue ? 0 : minBacklog)} per portal; " +
            $"503: {busyCalls.Count(c => c.Status == 503) + quietCalls.Count(c => c.Status == 503)}, 429: {busyCalls.Count(c => c.Status == 429) + quietCalls.Count(c => c.Status == 429)}; load average {load}"));
        return 0;
    }
}

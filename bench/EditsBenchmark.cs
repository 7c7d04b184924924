using LineBridge.Bitrix24;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Messages;
using LineBridge.Messages;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Bench;

/// <summary>
/// <c>edits</c>: against the in-process sandbox at its default limit (2 requests/s, burst 50), edits per second
/// delivered by LineBridge's dispatcher (50 per call) versus a naive client making one call per edit, and the
/// <c>QUERY_LIMIT_EXCEEDED</c> answers each met, during the burst and after it.
/// </summary>
internal static class EditsBenchmark
{
    private const string QueryLimit = "QUERY_LIMIT_EXCEEDED";

    public static async Task<int> RunAsync(int seconds, int messageCount, string provider, IReadOnlyList<int> instanceCounts)
    {
        if (provider.Equals("litedb", StringComparison.OrdinalIgnoreCase)) return await RunAsync(seconds, messageCount, null, 1, naive: true) is null ? 1 : 0;
        if (!provider.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
        {
            Console.WriteLine("--provider must be litedb or postgresql.");
            return 1;
        }
        // Each instance count on a fresh database and a fresh sandbox portal (a full bucket), one after the other.
        await using var cluster = await PrivatePostgres.StartAsync();
        var rates = new List<(int Instances, double Sustained)>();
        foreach (var instances in instanceCounts)
        {
            var database = await cluster.CreateDatabaseAsync($"edits_{instances}_{rates.Count}");
            rates.Add((instances, await RunAsync(seconds, messageCount, database, instances, naive: false) ?? 0));
            Console.WriteLine();
        }
        foreach (var (instances, sustained) in rates)
        {
            Console.WriteLine($"PostgreSQL, {instances} instance(s): {sustained:F1} edits/s sustained ({sustained / rates[0].Sustained:F2}x the first)");
        }
        return 0;
    }

    /// <summary>One run: LineBridge's dispatchers (on every instance), then optionally the naive client; returns LineBridge's sustained rate.</summary>
    private static async Task<double?> RunAsync(int seconds, int messageCount, string? postgres, int instances, bool naive)
    {
        await using var app = await BenchApp.StartAsync(postgres is null ? null : new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["ConnectionStrings:LineBridge"] = postgres,
        });
        for (var i = 1; i < instances; i++) app.StartPeer();
        var service = app.Services.GetRequiredService<MessageService>();
        var store = app.Services.GetRequiredService<MessageStore>();
        var member = app.Portal.MemberId;
        Func<string, int> countEdits;
        if (postgres is null)
        {
            var versions = app.Services.GetRequiredService<LiteDatabase>().GetCollection(LineBridge.Storage.LiteDb.LiteDbMessageStore.VersionsCollection);
            countEdits = status => versions.Count($"$.Kind = 'Edit' AND $.Status = '{status}'");
        }
        else
        {
            countEdits = status =>
            {
                using var c = new Npgsql.NpgsqlConnection(postgres);
                c.Open();
                using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM message_versions WHERE kind = 'Edit' AND status = @status", c);
                command.Parameters.AddWithValue("status", status);
                return (int)(long)command.ExecuteScalar()!;
            };
        }

        Console.WriteLine($"{(postgres is null ? "LiteDB, 1 instance" : $"PostgreSQL, {instances} instance(s) on one database")}; " +
                          $"sandbox limit: 2 requests/s, burst 50; {messageCount} messages; {seconds} s per client");
        var added = service.Send(member, app.Line, Enumerable.Range(0, messageCount).Select(i => new ConnectorMessage(
            new ConnectorUser { Id = "bench-user-" + (i % 20) },
            new ConnectorMessageBody { Id = "bench-" + i, Text = "original " + i },
            new ConnectorChat { Id = "bench-chat-" + (i % 20) })).ToList(), ChangeAuthor.Api);
        var ids = added.Select(a => a.Record.Id).ToList();
        while (ids.Any(id => store.Get(member, id)!.Status != MessageStatus.Sent)) await Task.Delay(200);
        await app.WaitForEmptyBucketAsync();

        // ---- LineBridge: edits are accepted as fast as they come; the dispatcher batches them. ----
        long Delivered() => countEdits("Sent");
        int Pending() => countEdits("Queued");
        var started = DateTimeOffset.UtcNow;
        var round = 0;
        var samples = await Sampling.RunAsync(seconds, TimeSpan.FromMilliseconds(500), Delivered, () =>
        {
            // Keep a backlog of about two calls' worth per message batch, so the dispatcher is never idle.
            if (Pending() < messageCount * 2)
            {
                round++;
                service.EditMany(member, ids.Select(id => (id, (int?)null, $"edit {round} of {id}")).ToList(), ChangeAuthor.Api);
            }
        });
        var bridge = Summarize("LineBridge (batched)", samples, app.Portal.Calls, started, seconds);
        if (!naive) return bridge;

        // ---- Naive: one imconnector.update.messages call per edit, through the same typed client. ----
        while (Pending() > 0) await Task.Delay(200);
        await app.WaitForEmptyBucketAsync();
        var connectors = app.Services.GetRequiredService<Bitrix24ClientFactory>().ForPortal(member).Connectors;
        var records = ids.Select(id => store.Get(member, id)!).ToList();
        started = DateTimeOffset.UtcNow;
        var (naiveSamples, failures) = await Sampling.NaiveAsync(seconds, (i, ct) =>
        {
            var record = records[i % records.Count];
            var sent = MessageStore.DeserializePayload(record.Payload);
            return connectors.UpdateMessagesAsync(new ConnectorMessagesRequest("linebridge", app.Line,
                [sent with { Message = new ConnectorMessageBody { Id = record.ExternalMessageId, Text = "naive " + i } }]), ct);
        });
        var naiveRate = Summarize("naive (one call per edit)", naiveSamples, app.Portal.Calls, started, seconds);
        if (failures > 0) Console.WriteLine($"  naive calls that failed after the client's own retries: {failures}");

        Console.WriteLine();
        Console.WriteLine($"LineBridge delivered {bridge:F1} edits/s after the burst; the naive client {naiveRate:F1} edits/s ({bridge / Math.Max(naiveRate, 0.001):F0}x).");
        return bridge;
    }

    /// <summary>Prints totals and the sustained rate after the first quarter of the run; returns that rate.</summary>
    private static double Summarize(string name, List<Sample> samples, IReadOnlyList<LineBridge.Sandbox.RecordedCall> calls,
        DateTimeOffset started, int seconds)
    {
        var total = samples.Count > 0 ? samples[^1].Delivered : 0;
        var burstEnd = seconds / 4.0;
        var sustained = Sampling.Sustained(samples, burstEnd);
        var window = calls.Where(c => c.Time >= started && c.Time <= started.AddSeconds(seconds + 1)).ToList();
        var limited = window.Where(c => c.Error == QueryLimit).ToList();
        var limitedAfterBurst = limited.Count(c => c.Time >= started.AddSeconds(burstEnd));
        var updateCalls = window.Count(c => c.Method == "imconnector.update.messages");
        Console.WriteLine($"{name,-28} {total,6} edits in {seconds} s = {total / (double)seconds,6:F1}/s overall, " +
                          $"{sustained,6:F1}/s sustained after {burstEnd:F0} s; {updateCalls} update calls; " +
                          $"QUERY_LIMIT_EXCEEDED: {limited.Count} in all, {limitedAfterBurst} after {burstEnd:F0} s");
        return sustained;
    }
}

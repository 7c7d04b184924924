using System.Diagnostics;
using LineBridge.Bitrix24.Models;
using LineBridge.Storage;
using LiteDB;

namespace LineBridge.Bench;

/// <summary>
/// <c>store-add</c>: <see cref="MessageStore.Add"/> and <see cref="MessageStore.AddAsync"/> without a web host, on a
/// fresh file each, in one run: LiteDB opened the plain way (its writer <c>fsync</c>s whenever its queue runs dry, and
/// <c>Commit</c> does not wait for it) beside <see cref="DurableLiteDatabase"/> (one <c>fsync</c> per commit, waited
/// for). Then the managed heap over a long run of accepts and lookups.
/// </summary>
internal static class StoreAddBenchmark
{
    /// <summary>How long the deriver may take to catch up after the last answer before the run fails: far above any normal run.</summary>
    private static readonly TimeSpan CatchUpDeadline = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(double seconds, int clients, int memoryAccepts)
    {
        var folder = Path.Combine("bench-data", "store-add");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        Console.WriteLine($"store Add, {seconds:F0} s per row, load average {LoadAverage()}");
        foreach (var (name, open) in new (string, Func<string, LiteDatabase>)[]
        {
            ("plain LiteDB (before)", path => new LiteDatabase($"Filename={path};Connection=direct")),
            ("DurableLiteDatabase", path => DurableLiteDatabase.Open(path)),
        })
        {
            foreach (var perTransaction in new[] { 1, 100 })
            {
                using var db = open(Path.Combine(folder, $"{Guid.NewGuid():N}.db"));
                var store = new MessageStore(db, TimeProvider.System);
                var (count, elapsed, max) = Measure(seconds, n => store.Add(Batch($"s{n}", perTransaction), "API", "bench"), perTransaction);
                Console.WriteLine($"  {name,-24} Add, {perTransaction,3} per transaction: {count / elapsed,7:F0} messages/s, max {max:F1} ms{Syncs(db, count)}");
            }
            {
                using var db = open(Path.Combine(folder, $"{Guid.NewGuid():N}.db"));
                var store = new MessageStore(db, TimeProvider.System);
                var (count, elapsed, max, p99) = await MeasureAsync(seconds, clients, id => store.AddAsync(Batch(id, 1), "API", "bench"));
                var caughtUp = Stopwatch.StartNew();
                var left = store.PendingDerivations;
                while (store.PendingDerivations > 0)
                {
                    // Catching up is what is measured, so poll finely; but a deriver that stopped must end the run.
                    if (caughtUp.Elapsed > CatchUpDeadline)
                    {
                        throw new TimeoutException(
                            $"{name}: search entries and counters did not catch up within {CatchUpDeadline.TotalMinutes:F0} min " +
                            $"({store.PendingDerivations:N0} of {left:N0} still pending).");
                    }
                    await Task.Delay(1);
                }
                Console.WriteLine($"  {name,-24} AddAsync, {clients} callers, 1 each: {count / elapsed,7:F0} messages/s, p99 {p99:F1} ms, max {max:F1} ms{Syncs(db, count)}");
                Console.WriteLine($"  {"",-24} search entries and counters: {left:N0} left at the last answer, caught up {caughtUp.Elapsed.TotalMilliseconds:F0} ms later");
            }
        }

        // Memory: the heap after every 10 % of a long run of accepts, each followed by two lookups.
        using (var db = DurableLiteDatabase.Open(Path.Combine(folder, "memory.db")))
        {
            var store = new MessageStore(db, TimeProvider.System);
            Console.WriteLine($"  managed heap over {memoryAccepts:N0} accepts (100 per request, {clients} callers) and 2 lookups each:");
            var done = 0;
            var line = new List<string>();
            for (var step = 1; step <= 10; step++)
            {
                var target = memoryAccepts * step / 10;
                var requests = new List<Task>();
                for (; done < target; done += 100)
                {
                    var prefix = $"m{done}";
                    requests.Add(store.AddAsync(Batch(prefix, 100), "API", "bench"));
                    if (requests.Count >= clients) { await Task.WhenAll(requests); requests.Clear(); }
                }
                await Task.WhenAll(requests);
                for (var i = done - 100; i < done; i++)
                {
                    store.FindByExternal("bench-member", 1, $"chat-{i % 20}", $"missing-{i}");
                    store.FindByExternal("bench-member", 1, $"chat-{i % 20}", $"m{i}");
                }
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, true, true);
                line.Add($"{done / 1000}k: {GC.GetTotalMemory(true) / 1024.0 / 1024:F1} MB");
            }
            Console.WriteLine("    " + string.Join(", ", line));
        }
        Directory.Delete(folder, recursive: true);
        return 0;
    }

    private static string Syncs(LiteDatabase db, long messages) =>
        db is DurableLiteDatabase d ? $", log fsyncs {d.LogSyncs:N0} ({(double)messages / Math.Max(1, d.LogSyncs):F1} messages per fsync)" : "";

    private static List<NewMessage> Batch(string prefix, int count) => Enumerable.Range(0, count).Select(i =>
        new NewMessage("bench-member", "linebridge", 1, new ConnectorMessage(
            new ConnectorUser { Id = "u1", Name = "Bench" },
            new ConnectorMessageBody { Id = count == 1 ? prefix : $"{prefix}-{i}", Text = "Hello from the benchmark " + prefix },
            new ConnectorChat { Id = $"chat-{i % 20}" }))).ToList();

    private static (long Count, double Seconds, double MaxMs) Measure(double seconds, Action<int> add, int perCall)
    {
        add(-1); // warm-up
        var sw = Stopwatch.StartNew();
        long count = 0;
        double max = 0;
        for (var n = 0; sw.Elapsed.TotalSeconds < seconds; n++)
        {
            var started = Stopwatch.GetTimestamp();
            add(n);
            max = Math.Max(max, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            count += perCall;
        }
        return (count, sw.Elapsed.TotalSeconds, max);
    }

    private static async Task<(long Count, double Seconds, double MaxMs, double P99Ms)> MeasureAsync(
        double seconds, int clients, Func<string, Task> add)
    {
        await add("warm");
        var sw = Stopwatch.StartNew();
        var latencies = new List<double>[clients];
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = [];
            for (var n = 0; sw.Elapsed.TotalSeconds < seconds; n++)
            {
                var started = Stopwatch.GetTimestamp();
                await add($"c{c}-{n}");
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var all = latencies.SelectMany(l => l).Order().ToList();
        return (all.Count, sw.Elapsed.TotalSeconds, all[^1], all[Math.Min(all.Count - 1, (int)(0.99 * all.Count))]);
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace LineBridge.Bench;

/// <summary>
/// <c>send-api</c>: messages accepted per second by <c>POST /api/v1/lines/{line}/messages</c> (one message per
/// request, several clients at once) and the p50/p99 latency, each acceptance written durably before the answer.
/// <c>--provider litedb</c> (default) is one instance on its LiteDB file; <c>--provider postgresql</c> runs
/// <c>--instances</c> instances on one database of a private PostgreSQL cluster (<see cref="PrivatePostgres"/>), the
/// clients spread over them in turn; <c>--provider all</c> runs LiteDB, PostgreSQL × 1 and PostgreSQL × 3 one after
/// the other in one process and prints them side by side. The warm-up lasts until the JIT has settled (see
/// <see cref="WarmUpAsync"/>); <c>--deliver off</c> stops the first instance's outbox dispatcher after the install,
/// so the figure is the accepts alone (by default the same process also delivers what it accepts to the in-process
/// sandbox portal; peers on PostgreSQL still deliver). With <c>--provider postgresql</c> the same cluster's own limit
/// follows in the same run (<see cref="PostgreSqlLimit"/>: a message row and its outbox row per transaction), and the
/// send API's share of it.
/// </summary>
internal static class SendApiBenchmark
{
    private sealed record Result(string Setup, int Clients, double Seconds, int Accepted, double P50, double P99, double Max, int Errors)
    {
        public double PerSecond => Accepted / Seconds;
    }

    // The warm-up ends once the JIT compiles fewer methods than this per second (tiering and dynamic PGO recompile
    // the hot paths for many seconds on a loaded machine: measured, a 3 s warm-up left the JIT at ~400 methods/s and
    // 0.4 s of compile per second, about half the process's CPU, for the whole measurement).
    private const int SettledJitMethodsPerSecond = 20;

    public static async Task<int> RunAsync(int seconds, int clients, string provider, int instances, bool deliver = true, int maxWarmUp = 30)
    {
        var results = new List<Result>();
        PrivatePostgres? cluster = null;
        try
        {
            async Task<string> Database(string name) => await (cluster ??= await PrivatePostgres.StartAsync()).CreateDatabaseAsync(name);
            switch (provider.ToLowerInvariant())
            {
                case "litedb":
                    results.Add(await MeasureAsync("LiteDB, 1 instance", null, 1, seconds, clients, deliver, maxWarmUp));
                    break;
                case "postgresql":
                    results.Add(await MeasureAsync($"PostgreSQL, {instances} instance(s)", await Database("send_api"), instances, seconds, clients, deliver, maxWarmUp));
                    var limit = await PostgreSqlLimit.MeasureAsync(await Database("storage_limit"), clients, seconds);
                    Console.WriteLine($"  the send API took {results[^1].PerSecond / limit:P1} of it");
                    break;
                case "all":
                    results.Add(await MeasureAsync("LiteDB, 1 instance", null, 1, seconds, clients, deliver, maxWarmUp));
                    results.Add(await MeasureAsync("PostgreSQL, 1 instance", await Database("send_api_1"), 1, seconds, clients, deliver, maxWarmUp));
                    results.Add(await MeasureAsync("PostgreSQL, 3 instances", await Database("send_api_3"), 3, seconds, clients, deliver, maxWarmUp));
                    break;
                default:
                    Console.WriteLine("--provider must be litedb, postgresql or all.");
                    return 1;
            }
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
        }

        Console.WriteLine();
        Console.WriteLine($"{"setup",-26} {"clients",7} {"accepted/s",10} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"non-202",7} {"vs first",8}");
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Setup,-26} {r.Clients,7} {r.PerSecond,10:F0} {r.P50,8:F1} {r.P99,8:F1} {r.Max,8:F1} {r.Errors,7} {r.PerSecond / results[0].PerSecond,7:F2}x");
        }
        return 0;
    }

    private static async Task<Result> MeasureAsync(string setup, string? postgres, int instances, int seconds, int clients, bool deliver, int maxWarmUp)
    {
        var settings = postgres is null ? null : new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["ConnectionStrings:LineBridge"] = postgres,
        };
        await using var app = await BenchApp.StartAsync(settings, deliver: deliver);
        if (!deliver) setup += ", no delivery";
        var addresses = new List<Uri> { app.BaseUri };
        for (var i = 1; i < instances; i++) addresses.Add(app.StartPeer());
        var https = addresses.Select(address =>
        {
            var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = clients }) { BaseAddress = address };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.ApiKey);
            return http;
        }).ToList();
        try
        {
            var url = $"api/v1/lines/{app.Line}/messages";
            // Warm up outside the measurement, under the same load: the JIT's tiers (otherwise the first setup of a
            // process pays for them and the later ones do not), the connection pools of every instance.
            await WarmUpAsync(running => LoadAsync("warm", running), TimeSpan.FromSeconds(Math.Clamp(seconds / 4, 2, 5)), TimeSpan.FromSeconds(maxWarmUp));
            var jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
            var deadline = TimeSpan.FromSeconds(seconds);
            var (latencies, errors, elapsed) = await LoadAsync("c", elapsed => elapsed < deadline);
            Console.WriteLine($"  JIT during the measurement: {(System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore) / elapsed:F0} methods/s");

            async Task<(List<double>[] Latencies, int Errors, double Elapsed)> LoadAsync(string prefix, Func<TimeSpan, bool> running)
            {
                var latencies = new List<double>[clients];
                var errors = 0;
                var stopwatch = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
                {
                    var mine = latencies[c] = [];
                    var http = https[c % instances];
                    for (var n = 0; running(stopwatch.Elapsed); n++)
                    {
                        var started = Stopwatch.GetTimestamp();
                        var status = await PostAsync(http, url, $"{prefix}{c}-{n}");
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        if (status != HttpStatusCode.Accepted) Interlocked.Increment(ref errors);
                    }
                }));
                return (latencies, errors, stopwatch.Elapsed.TotalSeconds);
            }
            var all = latencies.SelectMany(l => l).Order().ToList();
            double P(double q) => all[Math.Min(all.Count - 1, (int)(q * all.Count))];
            var result = new Result(setup, clients, elapsed, all.Count - errors, P(0.50), P(0.99), all[^1], errors);
            Console.WriteLine($"send API, {setup}, {clients} concurrent clients, one message per request, {elapsed:F0} s:");
            Console.WriteLine($"  accepted {result.Accepted:N0} messages = {result.PerSecond:F0}/s; " +
                              $"latency p50 {result.P50:F1} ms, p99 {result.P99:F1} ms, max {result.Max:F1} ms; non-202 answers: {errors}");
            return result;
        }
        finally
        {
            foreach (var http in https) http.Dispose();
        }
    }

    /// <summary>
    /// Runs the load at least <paramref name="minimum"/> and then until the JIT compiles fewer than
    /// <see cref="SettledJitMethodsPerSecond"/> methods in a second, at most <paramref name="maximum"/>; prints how long
    /// it took and where the JIT stood.
    /// </summary>
    private static async Task WarmUpAsync(Func<Func<TimeSpan, bool>, Task> load, TimeSpan minimum, TimeSpan maximum)
    {
        var settled = false;
        using var stop = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            var started = Stopwatch.StartNew();
            var last = System.Runtime.JitInfo.GetCompiledMethodCount();
            using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await tick.WaitForNextTickAsync())
            {
                var now = System.Runtime.JitInfo.GetCompiledMethodCount();
                var rate = now - last;
                last = now;
                if (started.Elapsed >= minimum && rate < SettledJitMethodsPerSecond)
                {
                    settled = true;
                    break;
                }
                if (started.Elapsed >= maximum) break;
            }
            await stop.CancelAsync();
        });
        var warm = Stopwatch.StartNew();
        await load(_ => !stop.IsCancellationRequested);
        await watch;
        Console.WriteLine($"  warm-up {warm.Elapsed.TotalSeconds:F0} s, JIT {(settled ? "settled" : "still compiling at the cap")}");
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string url, string id)
    {
        using var response = await http.PostAsJsonAsync(url, new
        {
            messages = new[]
            {
                new { user = new { id = "bench-user" }, chat = new { id = "bench-chat-" + id[..Math.Min(3, id.Length)] }, message = new { id, text = "Hello from the benchmark " + id } },
            },
        });
        return response.StatusCode;
    }
}

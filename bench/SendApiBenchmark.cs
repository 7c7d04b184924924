using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace LineBridge.Bench;

/// <summary>
/// <c>send-api</c>: messages accepted per second by <c>POST /api/v1/lines/{line}/messages</c> (one message per
/// request, several clients at once) and the p50/p99 latency, each acceptance written durably before the answer.
/// </summary>
internal static class SendApiBenchmark
{
    public static async Task<int> RunAsync(int seconds, int clients)
    {
        await using var app = await BenchApp.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = clients }) { BaseAddress = app.BaseUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.ApiKey);
        var url = $"api/v1/lines/{app.Line}/messages";

        // Warm up the JIT and the connection pool outside the measurement.
        for (var i = 0; i < 20; i++) await PostAsync(http, url, "warm-" + i);

        var latencies = new List<double>[clients];
        var errors = 0;
        var stopwatch = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var mine = latencies[c] = [];
            for (var n = 0; stopwatch.Elapsed < deadline; n++)
            {
                var started = Stopwatch.GetTimestamp();
                var status = await PostAsync(http, url, $"c{c}-{n}");
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (status != HttpStatusCode.Accepted) Interlocked.Increment(ref errors);
            }
        }));
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        double P(double q) => all[Math.Min(all.Count - 1, (int)(q * all.Count))];
        Console.WriteLine($"send API, {clients} concurrent clients, one message per request, {elapsed:F0} s:");
        Console.WriteLine($"  accepted {all.Count - errors:N0} messages = {(all.Count - errors) / elapsed:F0}/s; " +
                          $"latency p50 {P(0.50):F1} ms, p99 {P(0.99):F1} ms, max {all[^1]:F1} ms; non-202 answers: {errors}");
        return 0;
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

using System.Diagnostics;
using LineBridge.Bitrix24;

namespace LineBridge.Bench;

/// <summary>A count of delivered elements at a moment of a phase (seconds since it began).</summary>
internal readonly record struct Sample(double Seconds, long Delivered);

/// <summary>
/// The loops the delivery benchmarks share: a producer phase sampled on a tick, the naive client (one call at a time,
/// each waiting for its answer), and the sustained rate after a phase's burst.
/// </summary>
internal static class Sampling
{
    /// <summary>
    /// Runs a phase for <paramref name="seconds"/>: every <paramref name="interval"/> records what <paramref name="read"/>
    /// returns (the elements delivered so far), then calls <paramref name="topUp"/> to keep the work queued; a last
    /// sample is read at the end without a top-up, so what the caller reads next belongs to the same moment.
    /// </summary>
    public static async Task<List<Sample>> RunAsync(double seconds, TimeSpan interval, Func<long> read, Action topUp)
    {
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!stop.IsCancellationRequested)
        {
            samples.Add(new Sample(clock.Elapsed.TotalSeconds, read()));
            topUp();
            try { await Task.Delay(interval, stop.Token); } catch (OperationCanceledException) { }
        }
        samples.Add(new Sample(clock.Elapsed.TotalSeconds, read()));
        return samples;
    }

    /// <summary>
    /// The naive client for <paramref name="seconds"/>: <paramref name="call"/>(i) makes the i-th call through the app's
    /// typed client (so it is paced to the portal's request bucket and retried as a polite client is) and is awaited
    /// before the next; a call that still fails counts as a failure, not as delivered. One sample per call.
    /// </summary>
    public static async Task<(List<Sample> Samples, int Failures)> NaiveAsync(double seconds, Func<int, CancellationToken, Task> call)
    {
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        var delivered = 0;
        var failures = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                await call(i, stop.Token);
                delivered++;
            }
            catch (OperationCanceledException) { break; }
            catch (Bitrix24Exception) { failures++; }
            samples.Add(new Sample(clock.Elapsed.TotalSeconds, delivered));
        }
        return (samples, failures);
    }

    /// <summary>Elements per second from the first sample at or after <paramref name="from"/> seconds to the last; 0 when the phase was shorter.</summary>
    public static double Sustained(IReadOnlyList<Sample> samples, double from)
    {
        if (samples.Count == 0) return 0;
        var first = samples.FirstOrDefault(s => s.Seconds >= from);
        var last = samples[^1];
        return last.Seconds > first.Seconds ? (last.Delivered - first.Delivered) / (last.Seconds - first.Seconds) : 0;
    }
}

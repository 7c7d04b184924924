namespace LineBridge.Sandbox.Limits;

/// <summary>
/// The portal's request bucket (§5.1): each request adds 1, the level drains by the leak rate every second, and a
/// request that would lift the level over the burst size is refused. So <c>Burst</c> requests pass at once.
/// </summary>
internal sealed class LeakyBucket(double leakPerSecond, int burst, TimeProvider time)
{
    private readonly Lock _gate = new();
    private double _level;
    private long _lastTicks = time.GetTimestamp();

    public double Level
    {
        get { lock (_gate) { Drain(); return _level; } }
    }

    public bool TryAdd()
    {
        lock (_gate)
        {
            Drain();
            if (_level + 1 > burst) return false;
            _level += 1;
            return true;
        }
    }

    private void Drain()
    {
        var now = time.GetTimestamp();
        _level = Math.Max(0, _level - time.GetElapsedTime(_lastTicks, now).TotalSeconds * leakPerSecond);
        _lastTicks = now;
    }
}

/// <summary>
/// Per method and app, the execution seconds of the last 10 minutes (§5.2). Checked before a call; the call that
/// crosses the limit still completes.
/// </summary>
internal sealed class OperatingBudget(TimeProvider time, TimeSpan window)
{
    /// <summary>The portal's window: 10 minutes (§5.2).</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(10);

    private TimeSpan Window => window > TimeSpan.Zero ? window : DefaultWindow;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<(DateTimeOffset At, double Seconds)>> _entries = [];

    public (double Operating, long ResetAt) Read(string key)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var list = Prune(key, now);
            var resetAt = (list.Count > 0 ? list[0].At + Window : now + Window).ToUnixTimeSeconds();
            return (list.Sum(e => e.Seconds), resetAt);
        }
    }

    public void Add(string key, double seconds)
    {
        lock (_gate)
        {
            var list = Prune(key, time.GetUtcNow());
            list.Add((time.GetUtcNow(), seconds));
        }
    }

    private List<(DateTimeOffset At, double Seconds)> Prune(string key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var list)) _entries[key] = list = [];
        list.RemoveAll(e => e.At + Window <= now);
        return list;
    }
}

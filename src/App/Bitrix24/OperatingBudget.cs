using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace LineBridge.Bitrix24;

/// <summary>
/// The <c>time</c> block of a portal's answer (protocol reference §4): <c>processing</c> is the seconds the method ran,
/// <c>operating</c> the method's execution seconds over the portal's window (10 minutes) for this app, and
/// <c>operating_reset_at</c> (unix seconds) when the oldest part of that sum expires. <c>operating*</c> come only from
/// cloud portals; any field may be absent.
/// </summary>
public sealed record Bitrix24Time(double? Processing, double? Operating, long? OperatingResetAt)
{
    /// <summary>Reads <c>time</c> from an answer's root object; null when it has none.</summary>
    public static Bitrix24Time? From(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("time", out var time)) return null;
        return Of(time);
    }

    /// <summary>Reads a <c>time</c> block itself (as <c>batch</c> gives one per command in <c>result_time</c>); null when it is not an object.</summary>
    public static Bitrix24Time? Of(JsonElement time)
    {
        if (time.ValueKind != JsonValueKind.Object) return null;
        return new Bitrix24Time(Number(time, "processing"), Number(time, "operating"),
            time.TryGetProperty("operating_reset_at", out var reset) ? Bitrix24Json.AsLong(reset) : null);
    }

    private static double? Number(JsonElement time, string name) =>
        time.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? d : null;
}

/// <summary>
/// What LineBridge knows of each portal's operating-time budget (protocol reference §5.2: per method and app, the sum
/// of execution seconds over the last 10 minutes; a call is refused with 429 <c>OPERATION_TIME_LIMIT</c> when the sum
/// already exceeds the limit, 480 s on the cloud). It learns from every answer (<see cref="Observe"/>), keeps a ledger
/// of its own calls' seconds so it knows when they leave the window, and tells callers when a method may be called
/// again without being refused (<see cref="ReadyAt"/>), so delivery paces itself before the portal refuses instead of
/// after. A method is paced only once the portal has reported <c>operating</c> for it (self-hosted portals do not).
/// Shared by every client of the process; thread-safe.
/// </summary>
public sealed class Bitrix24OperatingBudget(IOptions<Bitrix24ClientOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string MemberId, string Method), MethodBudget> _budgets = new();

    private sealed class MethodBudget
    {
        public readonly Lock Gate = new();
        /// <summary>Our own calls: when each answer came and the seconds it ran (ours arrive after the portal counted them, the safe side).</summary>
        public readonly Queue<(DateTimeOffset At, double Seconds)> Ledger = new();
        public double LedgerSum;
        /// <summary>Seconds the portal counts that our ledger does not (before a restart, other instances): kept until the next report.</summary>
        public double Unexplained;
        public bool Reported;
        public DateTimeOffset? ResetAt;
        /// <summary>Estimated seconds of calls that are out now.</summary>
        public double Reserved;
        /// <summary>Measured seconds per <c>MESSAGES</c> element (moving average); null until measured.</summary>
        public double? PerItem;
    }

    private Bitrix24ClientOptions O => options.Value;
    private TimeSpan Window => O.OperatingWindow > TimeSpan.Zero ? O.OperatingWindow : TimeSpan.FromMinutes(10);
    // The portal refuses once the sum exceeds the limit; a little headroom covers clock skew and other callers.
    private double Threshold => O.OperatingLimitSeconds * (1 - O.OperatingHeadroom);

    private MethodBudget Of(string memberId, string method) => _budgets.GetOrAdd((memberId, method.ToLowerInvariant()), _ => new MethodBudget());

    /// <summary>Records what one answer said about <paramref name="method"/> of portal <paramref name="memberId"/>.</summary>
    public void Observe(string memberId, string method, Bitrix24Time answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var now = time.GetUtcNow();
        var b = Of(memberId, method);
        lock (b.Gate)
        {
            Prune(b, now);
            if (answer.Processing is { } seconds && seconds > 0)
            {
                b.Ledger.Enqueue((now, seconds));
                b.LedgerSum += seconds;
            }
            if (answer.Operating is { } operating)
            {
                b.Reported = true;
                b.Unexplained = Math.Max(0, operating - b.LedgerSum);
            }
            else if (answer.Processing is not null)
            {
                // A full time block without operating: this portal does not enforce the limit (now), so no pacing.
                b.Reported = false;
            }
            if (answer.OperatingResetAt is { } reset) b.ResetAt = DateTimeOffset.FromUnixTimeSeconds(reset);
        }
    }

    /// <summary>
    /// Records the measured cost of a call that carried <paramref name="items"/> elements, so calls can be sized
    /// (<see cref="SecondsPerItem"/>).
    /// </summary>
    public void ObserveItems(string memberId, string method, int items, double processingSeconds)
    {
        if (items <= 0 || processingSeconds <= 0) return;
        var b = Of(memberId, method);
        lock (b.Gate)
        {
            var sample = processingSeconds / items;
            // A moving average: a portal's cost drifts with its load, one odd call should not swing it.
            b.PerItem = b.PerItem is { } old ? old * 0.7 + sample * 0.3 : sample;
        }
    }

    /// <summary>Measured execution seconds per <c>MESSAGES</c> element of the method, or null before the first answer.</summary>
    public double? SecondsPerItem(string memberId, string method)
    {
        var b = Of(memberId, method);
        lock (b.Gate) return b.PerItem;
    }

    /// <summary>
    /// How many <c>MESSAGES</c> elements one call may carry to run about <see cref="Bitrix24ClientOptions.TargetCallSeconds"/>
    /// at the measured cost; null before the first measurement.
    /// </summary>
    public int? MaxItemsPerCall(string memberId, string method)
    {
        var perItem = SecondsPerItem(memberId, method);
        if (perItem is not > 0) return null;
        return (int)Math.Clamp(Math.Floor(O.TargetCallSeconds / perItem.Value), 1, int.MaxValue);
    }

    /// <summary>
    /// When the method may next be called without the portal refusing it: <see cref="DateTimeOffset.MinValue"/> while the estimated sum
    /// (the portal's last report, our calls since, the calls out now) stays under the limit less the headroom, else
    /// when enough of our own calls leave the window, or at the portal's <c>operating_reset_at</c>.
    /// </summary>
    public DateTimeOffset ReadyAt(string memberId, string method)
    {
        if (O.OperatingLimitSeconds <= 0 || !_budgets.TryGetValue((memberId, method.ToLowerInvariant()), out var b)) return DateTimeOffset.MinValue;
        var now = time.GetUtcNow();
        lock (b.Gate)
        {
            if (!b.Reported) return DateTimeOffset.MinValue;
            Prune(b, now);
            var threshold = Threshold;
            var sum = b.LedgerSum + b.Unexplained + b.Reserved;
            if (sum < threshold) return DateTimeOffset.MinValue;
            // Walk our calls oldest first: the budget frees as each leaves the window.
            foreach (var (at, seconds) in b.Ledger)
            {
                sum -= seconds;
                if (sum < threshold) return at + Window;
            }
            // What is left is not ours to predict: the portal's own word, or a wait for the calls out now.
            if (b.Reserved > 0 && b.Unexplained < threshold) return now + TimeSpan.FromMilliseconds(200);
            return b.ResetAt is { } reset && reset > now ? reset + TimeSpan.FromMilliseconds(250) : now + Window;
        }
    }

    /// <summary>Counts <paramref name="seconds"/> of a call about to go out until the returned handle is disposed (after its answer).</summary>
    public IDisposable Reserve(string memberId, string method, double seconds)
    {
        var b = Of(memberId, method);
        lock (b.Gate) b.Reserved += seconds;
        return new Reservation(b, seconds);
    }

    private sealed class Reservation(MethodBudget budget, double seconds) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (budget.Gate) budget.Reserved = Math.Max(0, budget.Reserved - seconds);
        }
    }

    private void Prune(MethodBudget b, DateTimeOffset now)
    {
        while (b.Ledger.TryPeek(out var oldest) && oldest.At + Window <= now)
        {
            b.Ledger.Dequeue();
            b.LedgerSum = Math.Max(0, b.LedgerSum - oldest.Seconds);
        }
        if (b.ResetAt is { } reset && reset <= now && b.Ledger.Count == 0)
        {
            // The portal's oldest bucket expired and nothing of ours is in the window: what it counted is leaving.
            b.Unexplained = 0;
            b.ResetAt = null;
        }
    }
}

/// <summary>Feeds <see cref="Bitrix24OperatingBudget"/> from the <c>time</c> block of every answer (each attempt).</summary>
internal sealed class OperatingTimeHandler(Bitrix24OperatingBudget budget) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var memberId = Bitrix24Request.CredentialsOf(request)?.MemberId;
        if (string.IsNullOrEmpty(memberId) || !request.Options.TryGetValue(Bitrix24Request.Method, out var method))
        {
            return response;
        }
        try
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            // A copy of the buffer: the caller reads the content again.
            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            if (method == Bitrix24Methods.Batch) ObserveCommands(memberId, request, doc.RootElement);
            else if (Bitrix24Time.From(doc.RootElement) is { } answer) budget.Observe(memberId, method, answer);
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's error page): nothing to learn; the caller reports the answer.
        }
        return response;
    }

    // A batch counts once against the request bucket, but each command's seconds count against its own method's budget
    // (protocol reference §5.4): each command's result_time is what that method's call would have reported.
    private void ObserveCommands(string memberId, HttpRequestMessage request, JsonElement root)
    {
        if (!request.Options.TryGetValue(Bitrix24Request.Body, out var body) || body is null) return;
        if (!Bitrix24Json.TryGet(root, "result", out var result) || !Bitrix24Json.TryGet(result, "result_time", out var times) ||
            times.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        using var sent = JsonDocument.Parse(body);
        if (!Bitrix24Json.TryGet(sent.RootElement, "cmd", out var commands) || commands.ValueKind != JsonValueKind.Object) return;
        foreach (var command in commands.EnumerateObject())
        {
            var query = Bitrix24Json.AsString(command.Value);
            if (string.IsNullOrEmpty(query) || !times.TryGetProperty(command.Name, out var time) || Bitrix24Time.Of(time) is not { } answer) continue;
            var question = query.IndexOf('?', StringComparison.Ordinal);
            budget.Observe(memberId, question < 0 ? query : query[..question], answer);
        }
    }
}

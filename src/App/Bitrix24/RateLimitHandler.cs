using System.Threading.RateLimiting;
using LineBridge.Install;
using Microsoft.Extensions.Options;

namespace LineBridge.Bitrix24;

/// <summary>
/// One token bucket per portal, sized like the portal's leaky bucket (burst, drain per second), so paced calls are
/// not refused. Shared by every client of the process.
/// </summary>
public sealed class Bitrix24RateLimiter : IPortalRateLimiter, IAsyncDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    /// <summary>Calls that may wait for one portal's next slot; the background workers need a handful, the UI a few.</summary>
    public const int QueueLimit = 1000;

    public Bitrix24RateLimiter(IOptions<Bitrix24AppOptions> options)
    {
        var rate = Math.Max(options.Value.RequestsPerSecond, 0.001);
        // The portal counts arrivals, we count departures: network jitter can bunch paced requests, and other apps on
        // the same portal share its bucket. A tenth of the burst stays unused as headroom.
        var burst = Math.Max(1, options.Value.Burst - Math.Max(1, options.Value.Burst / 10));
        _limiter = PartitionedRateLimiter.Create<string, string>(memberId => RateLimitPartition.GetTokenBucketLimiter(memberId,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1 / rate),
                // Bounded: a caller past the queue is refused at once (the outbox retries later) rather than
                // piling up without end behind a slow or throttled portal.
                QueueLimit = QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Waits for the portal's next free slot.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(string memberId, CancellationToken cancellationToken) =>
        _limiter.AcquireAsync(memberId, 1, cancellationToken);

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}

/// <summary>Innermost handler: every HTTP attempt (retries included) takes a slot of its portal's bucket first.</summary>
internal sealed class RateLimitHandler(
    IPortalRateLimiter limiter, IOptions<Bitrix24ClientOptions> options, Observability.LineBridgeMetrics metrics, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var memberId = Bitrix24Request.CredentialsOf(request)?.MemberId ?? "";
        var waitStarted = time.GetTimestamp();
        using var lease = await limiter.AcquireAsync(memberId, cancellationToken);
        metrics.RateLimitWaited(memberId, time.GetElapsedTime(waitStarted));
        if (!lease.IsAcquired) throw new HttpRequestException("The client's rate limiter refused the call.");

        // The attempt's timeout starts after the wait in the queue: a long queue is pacing, not a dead portal.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.AttemptTimeout);
        try
        {
            return await base.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No answer within {options.Value.AttemptTimeout}.", ex);
        }
    }
}

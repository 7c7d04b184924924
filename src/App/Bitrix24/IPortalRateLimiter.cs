using System.Threading.RateLimiting;

namespace LineBridge.Bitrix24;

/// <summary>
/// A portal's REST budget (Bitrix24's leaky bucket per portal: <c>Bitrix24:RequestsPerSecond</c> drained,
/// <c>Bitrix24:Burst</c> at once; bitrix24-protocol.md §5.1). Every HTTP attempt to a portal takes one slot first.
/// One implementation per deployment shape: <see cref="Bitrix24RateLimiter"/> keeps the bucket in this process
/// (LiteDB: one instance); the PostgreSQL one keeps it in the shared database, so several instances together stay
/// within the portal's one bucket.
/// </summary>
public interface IPortalRateLimiter
{
    /// <summary>
    /// Waits for the portal's next free slot. The lease is not acquired (<see cref="RateLimitLease.IsAcquired"/> false)
    /// when the wait would exceed the limiter's queue bound; the caller fails the attempt (the outbox retries later).
    /// </summary>
    /// <param name="memberId">The portal's <c>member_id</c>; "" for calls without one (each value is its own bucket).</param>
    /// <exception cref="OperationCanceledException">Cancelled while waiting.</exception>
    ValueTask<RateLimitLease> AcquireAsync(string memberId, CancellationToken cancellationToken);
}

/// <summary>The bucket every <see cref="IPortalRateLimiter"/> implements, from <see cref="Install.Bitrix24AppOptions"/>.</summary>
public static class PortalBudget
{
    /// <summary>Requests per second the portal drains (at least 0.001).</summary>
    public static double Rate(Install.Bitrix24AppOptions options) => Math.Max(options.RequestsPerSecond, 0.001);

    /// <summary>
    /// Requests that may go at once. The portal counts arrivals, we count departures: network jitter can bunch paced
    /// requests, and calls outside the limiter (token verification) share the portal's bucket. A tenth of the burst
    /// (at least 1) stays unused as headroom.
    /// </summary>
    public static int Burst(Install.Bitrix24AppOptions options) =>
        Math.Max(1, options.Burst - Math.Max(1, options.Burst / 10));

    /// <summary>The longest a call may wait for its slot before it is refused: <see cref="Bitrix24RateLimiter.QueueLimit"/> slots.</summary>
    public static TimeSpan MaxWait(Install.Bitrix24AppOptions options) =>
        TimeSpan.FromSeconds(Bitrix24RateLimiter.QueueLimit / Rate(options));
}

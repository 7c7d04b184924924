using System.Threading.RateLimiting;

namespace LineBridge.Install;

/// <summary>
/// Bounds the work unverified requests (<c>/install</c>, <c>/placement</c>) can cause before anything about them is
/// proven: each caller (remote address) gets a few verifications at a time and a short queue, and the whole process a
/// fixed number. They never draw on a portal's own rate budget (<see cref="Bitrix24.Bitrix24RateLimiter"/>), so a
/// flood naming a portal's <c>member_id</c> cannot slow that portal's traffic.
/// </summary>
public sealed class VerificationLimiter : IAsyncDisposable
{
    /// <summary>Verifications one caller may run at once; a portal frame needs one.</summary>
    public const int PerCallerConcurrency = 2;
    /// <summary>Verifications of one caller that may wait; beyond that the caller is refused at once.</summary>
    public const int PerCallerQueue = 4;
    /// <summary>Verifications the whole process runs at once (each is a few outbound calls of at most 10 s).</summary>
    public const int GlobalConcurrency = 32;
    public const int GlobalQueue = 64;

    /// <summary>What a refused caller is told to wait, in seconds (<c>Retry-After</c>).</summary>
    public const int RetryAfterSeconds = 10;

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.CreateChained(
        PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetConcurrencyLimiter(caller, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = PerCallerConcurrency, QueueLimit = PerCallerQueue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        })),
        PartitionedRateLimiter.Create<string, string>(_ => RateLimitPartition.GetConcurrencyLimiter("all", _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = GlobalConcurrency, QueueLimit = GlobalQueue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        })));

    /// <summary>A lease for one verification by <paramref name="caller"/>; null when the caller or the process is over its bound.</summary>
    public async ValueTask<IDisposable?> AcquireAsync(string caller, CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(caller, 1, cancellationToken);
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        return null;
    }

    /// <summary>The key of a request's caller: its remote address (the portal's servers and browsers alike).</summary>
    public static string CallerOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}

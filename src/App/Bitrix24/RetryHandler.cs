using System.Net;
using Microsoft.Extensions.Options;

namespace LineBridge.Bitrix24;

/// <summary>
/// Outermost handler. Limit refusals (<c>QUERY_LIMIT_EXCEEDED</c>, <c>OPERATION_TIME_LIMIT</c>) happen before the portal
/// runs anything, so every method is retried after a back-off with jitter (or at <c>operating_reset_at</c>). Other
/// failures are retried only for methods that are safe to repeat (<see cref="Bitrix24Methods.IsRetriable"/>).
/// </summary>
internal sealed class RetryHandler(
    IOptions<Bitrix24ClientOptions> options, TimeProvider time, ILogger<RetryHandler> logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var method = Bitrix24Request.MethodOf(request);
        var retriable = request.Options.TryGetValue(Bitrix24Request.Retriable, out var r) && r;
        var limitRetries = 0;
        var transientRetries = 0;
        var attempt = request;
        try
        {
            while (true)
            {
                HttpResponseMessage response;
                try
                {
                    response = await base.SendAsync(attempt, cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or TimeoutException &&
                                           retriable && transientRetries < o.MaxTransientRetries)
                {
                    transientRetries++;
                    logger.LogWarning("Bitrix24 {Method} failed ({Reason}); retry {Attempt}", method, ex.GetType().Name, transientRetries);
                    await Task.Delay(Backoff(transientRetries), time, cancellationToken);
                    attempt = await NextAttemptAsync(request, attempt, cancellationToken);
                    continue;
                }

                var error = await Bitrix24Request.ReadErrorAsync(response, cancellationToken);
                if (error?.Code is Bitrix24Errors.QueryLimitExceeded or Bitrix24Errors.OperationTimeLimit &&
                    limitRetries < o.MaxLimitRetries && LimitDelay(error, limitRetries + 1) is { } delay)
                {
                    limitRetries++;
                    logger.LogInformation("Bitrix24 {Method} refused with {ErrorCode}; waiting {Delay} before retry {Attempt}",
                        method, error.Code, delay, limitRetries);
                    response.Dispose();
                    await Task.Delay(delay, time, cancellationToken);
                    attempt = await NextAttemptAsync(request, attempt, cancellationToken);
                    continue;
                }

                if (retriable && transientRetries < o.MaxTransientRetries && IsTransient(response.StatusCode, error))
                {
                    transientRetries++;
                    logger.LogWarning("Bitrix24 {Method} answered {StatusCode} {ErrorCode}; retry {Attempt}",
                        method, (int)response.StatusCode, error?.Code, transientRetries);
                    response.Dispose();
                    await Task.Delay(Backoff(transientRetries), time, cancellationToken);
                    attempt = await NextAttemptAsync(request, attempt, cancellationToken);
                    continue;
                }
                // One line per portal call at Debug: a busy portal makes thousands, which would bury the console.
                logger.LogDebug("Bitrix24 {Method} answered {StatusCode} {ErrorCode}", method, (int)response.StatusCode, error?.Code);
                return response;
            }
        }
        finally
        {
            if (!ReferenceEquals(attempt, request)) attempt.Dispose();
        }
    }

    private static async Task<HttpRequestMessage> NextAttemptAsync(HttpRequestMessage original, HttpRequestMessage previous, CancellationToken ct)
    {
        if (!ReferenceEquals(previous, original)) previous.Dispose();
        return await Bitrix24Request.CloneAsync(original, ct);
    }

    private static bool IsTransient(HttpStatusCode status, Bitrix24Error? error) =>
        (int)status >= 500 &&
        error?.Code is not (Bitrix24Errors.PortalDeleted or Bitrix24Errors.QueryLimitExceeded or Bitrix24Errors.OperationTimeLimit);

    private static readonly TimeSpan ResetMargin = TimeSpan.FromMilliseconds(250);

    private TimeSpan? LimitDelay(Bitrix24Error error, int attempt)
    {
        if (error.Code == Bitrix24Errors.OperationTimeLimit && error.OperatingResetAt is { } resetAt)
        {
            // The reset time has whole-second granularity, our clock is not the portal's, and timers may fire a
            // moment early: aim a little past it rather than arrive just before and be refused again.
            var wait = DateTimeOffset.FromUnixTimeSeconds(resetAt) + ResetMargin - time.GetUtcNow();
            if (wait > options.Value.MaxOperatingWait) return null;
            return (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) + Jitter(options.Value.RetryBaseDelay);
        }
        return Backoff(attempt);
    }

    // Exponential with "equal jitter": half fixed, half random, so concurrent callers spread out.
    internal TimeSpan Backoff(int attempt)
    {
        var o = options.Value;
        var ceiling = Math.Min(o.MaxRetryDelay.TotalMilliseconds, o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private static TimeSpan Jitter(TimeSpan scale) => TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * scale.TotalMilliseconds);
}

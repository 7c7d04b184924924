using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LineBridge.Bitrix24;

/// <summary>
/// The retry and back-off rules of portal calls, as two Polly retry strategies on the HTTP pipeline (outermost, so each
/// attempt passes the token handler and takes a slot of the portal's limiter again):
/// <list type="number">
/// <item>Limit refusals (<c>QUERY_LIMIT_EXCEEDED</c> 503, <c>OPERATION_TIME_LIMIT</c> 429) happen before the portal runs
/// anything, so every method is retried, up to <see cref="Bitrix24ClientOptions.MaxLimitRetries"/> times: after an
/// exponential back-off with jitter, or at <c>operating_reset_at</c> when the refusal names it (and it is within
/// <see cref="Bitrix24ClientOptions.MaxOperatingWait"/>; beyond that the refusal reaches the caller).</item>
/// <item>Other failures (no answer, a timeout, a 5xx) are retried only for methods that are safe to repeat
/// (<see cref="Bitrix24Methods.IsRetriable"/>), up to <see cref="Bitrix24ClientOptions.MaxTransientRetries"/> times.
/// <c>imconnector.send.messages</c> is not: the outbox deletes an ambiguous send before it goes again.</item>
/// </list>
/// Verification calls use another client without these strategies: they never retry.
/// </summary>
internal sealed class Bitrix24Retries
{
    /// <summary>The resilience handler's name (its metrics and logs carry it).</summary>
    public const string PipelineName = "Bitrix24.Retry";

    private static readonly TimeSpan ResetMargin = TimeSpan.FromMilliseconds(250);

    private readonly Bitrix24ClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private Bitrix24Retries(Bitrix24ClientOptions options, TimeProvider time, ILogger logger) => (_options, _time, _logger) = (options, time, logger);

    /// <summary>Adds the strategies to the Bitrix24 HttpClient's pipeline.</summary>
    public static IHttpClientBuilder AddTo(IHttpClientBuilder http)
    {
        http.AddResilienceHandler(PipelineName, (builder, context) =>
        {
            var services = context.ServiceProvider;
            var rules = new Bitrix24Retries(services.GetRequiredService<IOptions<Bitrix24ClientOptions>>().Value,
                services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>().CreateLogger<Bitrix24Retries>());
            rules.Configure(builder);
        });
        return http;
    }

    private void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder)
    {
        if (_options.MaxLimitRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "limits",
                MaxRetryAttempts = _options.MaxLimitRetries,
                ShouldHandle = async args => args.Outcome.Result is { } response &&
                    await LimitErrorAsync(response, args.Context.CancellationToken) is { } error && LimitDelay(error, 1) is not null,
                DelayGenerator = async args =>
                    args.Outcome.Result is { } response && await LimitErrorAsync(response, args.Context.CancellationToken) is { } error
                        ? LimitDelay(error, args.AttemptNumber + 1) ?? Backoff(args.AttemptNumber + 1)
                        : Backoff(args.AttemptNumber + 1),
                OnRetry = args =>
                {
                    _logger.LogInformation("Bitrix24 {Method} refused with a limit ({StatusCode}); waiting {Delay} before retry {Attempt}",
                        MethodOf(args.Context), (int?)args.Outcome.Result?.StatusCode, args.RetryDelay, args.AttemptNumber + 1);
                    return default;
                },
            });
        }
        if (_options.MaxTransientRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "transient",
                MaxRetryAttempts = _options.MaxTransientRetries,
                ShouldHandle = async args => IsRetriable(args.Context) && args.Outcome switch
                {
                    { Exception: HttpRequestException or TimeoutException } => true,
                    { Result: { } response } => await IsTransientAsync(response, args.Context.CancellationToken),
                    _ => false,
                },
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Backoff(args.AttemptNumber + 1)),
                OnRetry = args =>
                {
                    _logger.LogWarning("Bitrix24 {Method} failed ({Reason}); retry {Attempt}", MethodOf(args.Context),
                        args.Outcome.Exception?.GetType().Name ?? ((int?)args.Outcome.Result?.StatusCode)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        args.AttemptNumber + 1);
                    return default;
                },
            });
        }
    }

    private static string MethodOf(ResilienceContext context) =>
        context.GetRequestMessage() is { } request ? Bitrix24Request.MethodOf(request) : "?";

    private static bool IsRetriable(ResilienceContext context) =>
        context.GetRequestMessage() is { } request && request.Options.TryGetValue(Bitrix24Request.Retriable, out var r) && r;

    private static async ValueTask<Bitrix24Error?> LimitErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var error = await Bitrix24Request.ReadErrorAsync(response, cancellationToken);
        return error?.Code is Bitrix24Errors.QueryLimitExceeded or Bitrix24Errors.OperationTimeLimit ? error : null;
    }

    private static async ValueTask<bool> IsTransientAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if ((int)response.StatusCode < 500) return false;
        var error = await Bitrix24Request.ReadErrorAsync(response, cancellationToken);
        return error?.Code is not (Bitrix24Errors.PortalDeleted or Bitrix24Errors.QueryLimitExceeded or Bitrix24Errors.OperationTimeLimit);
    }

    /// <summary>The wait before retrying a limit refusal; null when <c>operating_reset_at</c> is too far away to wait for.</summary>
    private TimeSpan? LimitDelay(Bitrix24Error error, int attempt)
    {
        if (error.Code == Bitrix24Errors.OperationTimeLimit && error.OperatingResetAt is { } resetAt)
        {
            // The reset time has whole-second granularity, our clock is not the portal's, and timers may fire a
            // moment early: aim a little past it rather than arrive just before and be refused again.
            var wait = DateTimeOffset.FromUnixTimeSeconds(resetAt) + ResetMargin - _time.GetUtcNow();
            if (wait > _options.MaxOperatingWait) return null;
            return (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) + Jitter(_options.RetryBaseDelay);
        }
        return Backoff(attempt);
    }

    // Exponential with "equal jitter": half fixed, half random, so concurrent callers spread out.
    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.MaxRetryDelay.TotalMilliseconds, _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private static TimeSpan Jitter(TimeSpan scale) => TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * scale.TotalMilliseconds);
}

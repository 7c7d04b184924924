using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace LineBridge.Messages;

/// <summary>Per-key limits of the external API (section <c>Api:RateLimit</c>).</summary>
public sealed class ApiRateLimitOptions
{
    public const string Section = "Api:RateLimit";

    /// <summary>Requests one API key may make per second, sustained (each send carries up to 100 messages).</summary>
    public double RequestsPerSecond { get; set; } = 50;

    /// <summary>Requests one API key may make at once before the sustained rate applies.</summary>
    public int Burst { get; set; } = 500;
}

/// <summary>
/// The external API's per-key rate limit, with the ASP.NET Core rate-limiting middleware: one token bucket per
/// presented key (by its hash; a request without a key is limited by its remote address), answering 429 with
/// <c>Retry-After</c> and a problem that says when to retry. Other paths are not limited here.
/// </summary>
public static class ApiRateLimiting
{
    private const string ApiPrefix = "/api/";

    public static IServiceCollection AddApiRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<ApiRateLimitOptions>().BindConfiguration(ApiRateLimitOptions.Section)
            .Validate(o => o.RequestsPerSecond > 0 && o.Burst >= 1, "Api:RateLimit: RequestsPerSecond must be positive and Burst at least 1.")
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ApiRateLimitOptions>>((limiter, api) =>
        {
            var o = api.Value;
            // Refill once a second (a timer per microsecond would burn a core at high limits); sub-1/s rates refill slower.
            var period = o.RequestsPerSecond >= 1 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(1 / o.RequestsPerSecond);
            var perPeriod = (int)Math.Min(int.MaxValue, Math.Max(1, Math.Round(o.RequestsPerSecond * period.TotalSeconds)));
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                !context.Request.Path.StartsWithSegments(ApiPrefix.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetTokenBucketLimiter(PartitionOf(context), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = o.Burst, TokensPerPeriod = perPeriod, ReplenishmentPeriod = period, QueueLimit = 0, AutoReplenishment = true,
                    }));
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : period;
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: 429, title: "Too many requests",
                        detail: $"This API key made more than {o.Burst} requests in a burst or {o.RequestsPerSecond:0.##} per second: retry in {seconds} s.")
                    .ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }

    // Keys are never kept in memory in clear: the partition is the key's hash.
    private static string PartitionOf(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > 7
            ? "key:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(authorization[7..].Trim())))
            : "ip:" + context.Connection.RemoteIpAddress;
    }
}

using System.Diagnostics.Metrics;

namespace LineBridge.Observability;

/// <summary>
/// The measurements a team alerts on, in the meter <c>LineBridge</c> (exported through OpenTelemetry, see
/// <see cref="ObservabilityServiceCollectionExtensions"/>). Tags carry the portal's <c>member_id</c> (an identifier,
/// not a secret) so a failing portal stands out; never a token, key or message text.
/// </summary>
public sealed class LineBridgeMetrics
{
    /// <summary>The meter's name, for exporters and listeners.</summary>
    public const string MeterName = "LineBridge";

    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _rateLimitWait;
    private readonly Counter<long> _tokenRefreshes;

    public LineBridgeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _deliveries = meter.CreateCounter<long>("linebridge.outbox.deliveries", "{message}",
            "Outbox items the portal answered, by portal, REST method and outcome (success or failure).");
        _retries = meter.CreateCounter<long>("linebridge.outbox.retries", "{message}",
            "Outbox items put back for a later attempt after a transient failure, by portal and method.");
        _rateLimitWait = meter.CreateHistogram<double>("linebridge.ratelimit.wait", "s",
            "Time a REST call waited for its portal's rate-limit slot, by portal.");
        _tokenRefreshes = meter.CreateCounter<long>("linebridge.token.refreshes", "{refresh}",
            "Token refreshes at the OAuth server, by portal and outcome (refreshed or refused).");
    }

    /// <summary>Items the portal answered for one call: <paramref name="succeeded"/> and <paramref name="failed"/> of them.</summary>
    public void Delivered(string memberId, string method, int succeeded, int failed)
    {
        if (succeeded > 0) _deliveries.Add(succeeded, Tag("portal", memberId), Tag("method", method), Tag("outcome", "success"));
        if (failed > 0) _deliveries.Add(failed, Tag("portal", memberId), Tag("method", method), Tag("outcome", "failure"));
    }

    /// <summary>Items put back for another attempt.</summary>
    public void Retried(string memberId, string method, int count) =>
        _retries.Add(count, Tag("portal", memberId), Tag("method", method));

    /// <summary>How long a call waited for its portal's slot.</summary>
    public void RateLimitWaited(string memberId, TimeSpan wait) =>
        _rateLimitWait.Record(wait.TotalSeconds, Tag("portal", memberId));

    /// <summary>A refresh at the OAuth server: <paramref name="refreshed"/> false when the portal refused the token.</summary>
    public void TokenRefreshed(string memberId, bool refreshed) =>
        _tokenRefreshes.Add(1, Tag("portal", memberId), Tag("outcome", refreshed ? "refreshed" : "refused"));

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}

namespace LineBridge.Bitrix24;

/// <summary>How the client waits and retries. Section <c>Bitrix24:Client</c>.</summary>
public sealed class Bitrix24ClientOptions
{
    public const string Section = "Bitrix24:Client";

    /// <summary>Attempts after a <c>QUERY_LIMIT_EXCEEDED</c> / <c>OPERATION_TIME_LIMIT</c> refusal.</summary>
    public int MaxLimitRetries { get; set; } = 8;

    /// <summary>Extra attempts of a retriable (read-like) method after a network failure or a 5xx.</summary>
    public int MaxTransientRetries { get; set; } = 2;

    /// <summary>First back-off delay; doubles per attempt, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest wait for <c>operating_reset_at</c>; beyond it the refusal reaches the caller.</summary>
    public TimeSpan MaxOperatingWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The portal's operating-time limit per method and app, in seconds over <see cref="OperatingWindow"/> (cloud: 480 s
    /// per 10 minutes, protocol reference §5.2). Delivery paces itself to stay under it. 0 turns pacing off.
    /// </summary>
    public double OperatingLimitSeconds { get; set; } = 480;

    /// <summary>The window of the operating-time limit (cloud: 10 minutes).</summary>
    public TimeSpan OperatingWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Share of <see cref="OperatingLimitSeconds"/> left unused (clock skew, other callers of the method).</summary>
    public double OperatingHeadroom { get; set; } = 0.02;

    /// <summary>
    /// How long one message call should run at the portal, in seconds: calls are sized from the measured cost per
    /// element to stay well inside the cloud's 60 s interruption of a request.
    /// </summary>
    public double TargetCallSeconds { get; set; } = 20;

    /// <summary>Timeout of one HTTP attempt (the cloud interrupts requests after 60 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(70);
}

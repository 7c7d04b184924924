namespace LineBridge.Events;

/// <summary>How received portal events are kept, confirmed and applied (section <c>Events</c>).</summary>
public sealed class EventOptions
{
    public const string Section = "Events";

    /// <summary>
    /// Events whose <c>ts</c> (when the portal's queue sent them) is older than this are refused. The queue never
    /// retries, but it delays deliveries to slow or throttled handlers and holds them while a portal is busy; a day
    /// covers any such delay with room to spare, and it is also how long an event's fingerprint is kept to refuse
    /// exact repeats, so a captured event can be replayed neither inside the window (repeat) nor after it (too old).
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How far <c>ts</c> may lie in the future (clock skew between the portal's queue and us).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the processor looks for due work when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Confirmation calls one portal may spend per minute (each a <c>batch</c> of up to 50 events, or one
    /// <c>app.info</c>). A flood of forged events then delays confirmations, never the portal's real traffic: at the
    /// default 12 per minute they take at most a tenth of the slowest plan's 2 requests per second.
    /// </summary>
    public int ConfirmationsPerMinute { get; set; } = 12;

    /// <summary>Events of one portal waiting for confirmation or for their turn; past it new ones are refused (503).</summary>
    public int MaxPendingPerPortal { get; set; } = 10_000;

    /// <summary>Attempts to confirm an event when the portal gives no clear answer, before it is given up.</summary>
    public int MaxAttempts { get; set; } = 20;
}

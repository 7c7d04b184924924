namespace LineBridge.Replies;

/// <summary>How operator replies are delivered to webhooks (section <c>Replies</c>).</summary>
public sealed class ReplyOptions
{
    public const string Section = "Replies";

    /// <summary>The wait after the first failure; it doubles each time (with jitter) up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>Attempts before a delivery is given up (about a day with the defaults).</summary>
    public int MaxAttempts { get; set; } = 150;
    /// <summary>How long one webhook call may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>How often the dispatcher looks for due work when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Portals whose deliveries run at the same time. Each portal's deliveries run one after another (a message's
    /// changes stay in order) in their own worker, so one portal's slow webhook delays only that portal.
    /// </summary>
    public int MaxConcurrentPortals { get; set; } = 16;
}
